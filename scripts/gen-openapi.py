#!/usr/bin/env python3
"""Writes Sources/TollgateServer/Operations/OpenAPIDocument.swift: the OpenAPI 3.1 document served at
/openapi.json. Edit this file, run it, commit both. OpenAPITests checks the document against the
router's routes; the e2e suite validates it with openapi-spec-validator."""
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def page(n): return {"type":"object","required":["data","nextCursor"],"properties":{"data":{"type":"array","items":ref(n)},"nextCursor":{"type":["string","null"],"description":"Pass as `cursor` for the next page; null on the last page."}}}
def errors(*codes):
    names={"400":"Malformed JSON or query parameter","401":"Missing or invalid credential; for a machine token TOKEN_EXPIRED, or TOKEN_REVOKED with licenseStatus","403":"Read-only token used for a change, or a credential this route does not take","404":"Not found in this account","409":"The object's state forbids this","413":"Body larger than the limit","422":"A field is missing, of the wrong type, unknown or out of range","503":"The database is unavailable; retry after Retry-After seconds"}
    out={}
    for c in codes:
        code,_,desc=c.partition(":")
        out[code]={"description":desc or names[code],"content":{"application/json":{"schema":ref("Error")}},
                   **({"headers":{"Retry-After":{"description":"Seconds to wait before retrying.","schema":{"type":"integer"}}}} if code=="503" else {})}
    return out
def ok(schema, code="200", desc="OK", headers=None):
    r={"description":desc,"content":{"application/json":{"schema":schema}}}
    if headers: r["headers"]=headers
    return {code:r}
def body(schema): return {"required":True,"content":{"application/json":{"schema":schema}}}
idem={"name":"Idempotency-Key","in":"header","required":False,"schema":{"type":"string","minLength":1,"maxLength":255},"description":"Honoured on this route. A key belongs to the credential that sends it and to this method and path: a retry with the same key and body by the same credential gets the first answer byte for byte (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED; another credential or route with the same key is a new request. Kept for 24 hours."}
def pid(name="id"): return {"name":name,"in":"path","required":True,"schema":{"type":"string"}}
pagep=[{"name":"limit","in":"query","schema":{"type":"integer","minimum":1,"maximum":100,"default":25}},{"name":"cursor","in":"query","schema":{"type":"string"}}]
sec=[{"bearer":[]}]
W=["400","401","403","413","422","503"]
R=["400","401","403","503"]

def crud(name, schema, draft, tag, filters=[], conflicts=()):
    base=f"/v1/{name}"
    return {
      base: {
        "post":{"tags":[tag],"operationId":f"create{schema}","summary":f"Create a {schema.lower()}","security":sec,"parameters":[idem],"requestBody":body(ref(draft)),"responses":{**ok(ref(schema),"201","Created"),**errors(*W,*conflicts)}},
        "get":{"tags":[tag],"operationId":f"list{schema}s","summary":f"List {name}","security":sec,"parameters":pagep+filters,"responses":{**ok(page(schema)),**errors(*R)}},
      },
      base+"/{id}": {
        "get":{"tags":[tag],"operationId":f"get{schema}","summary":f"Show a {schema.lower()}","security":sec,"parameters":[pid()],"responses":{**ok(ref(schema)),**errors("401","403","404","503")}},
        "patch":{"tags":[tag],"operationId":f"update{schema}","summary":f"Update a {schema.lower()} (JSON Merge Patch: null removes a field)","security":sec,"parameters":[pid()],"requestBody":body(ref(schema+"Patch")),"responses":{**ok(ref(schema)),**errors(*W,"404",*conflicts)}},
      }}

def patch_of(draft, immutable=(), removable=()):
    """A JSON Merge Patch body for a draft schema: every field optional; null removes the fields
    that may be absent; fields fixed at creation are not listed (the server answers 422 IMMUTABLE_FIELD)."""
    props={}
    for k,v in draft["properties"].items():
        if k in immutable: continue
        v=dict(v)
        if k in removable and "$ref" not in v:
            t=v.get("type","object")
            v["type"]=sorted(set(t if isinstance(t,list) else [t])|{"null"})
        props[k]=v
    return {"type":"object","additionalProperties":False,"properties":props,"description":"JSON Merge Patch (RFC 7396): only the fields to change; null removes an optional field."}

limits_props={k:{"type":["integer","null"],"minimum":0,"description":"null = unlimited"} for k in ["maxWorkflows","executionsPerMonth","concurrentExecutions","requestsPerSecond"]}
limitValue={"oneOf":[{"type":"integer","minimum":0},{"type":"string","const":"unlimited"}]}
dt={"type":"string","format":"date-time"}
meta={"type":"object","additionalProperties":{"type":"string"},"maxProperties":50}
strs={"type":"array","items":{"type":"string"}}
machine_rules={
 "maxClusters":{"type":["integer","null"],"minimum":1,"description":"Clusters a license runs in at once; null = 1 once a machine names a cluster."},
 "maxNodesPerCluster":{"type":["integer","null"],"minimum":1},
 "clusterDrainSeconds":{"type":"integer","minimum":0,"maximum":2592000,"default":3600,"description":"How long a replaced cluster keeps running."},
 "requireHeartbeat":{"type":"boolean","default":True},
 "heartbeatIntervalSeconds":{"type":"integer","minimum":60,"maximum":604800,"default":600},
 "heartbeatGraceSeconds":{"type":"integer","minimum":0,"maximum":604800,"default":120},
 "resurrectionWindowSeconds":{"type":"integer","minimum":0,"maximum":2592000,"default":3600,"description":"After its death, a beat within this window brings a culled machine back."},
 "deadMachineStrategy":{"type":"string","enum":["deactivate","keep"],"default":"deactivate"},
 "tokenLifetimeMinutes":{"type":"integer","minimum":5,"maximum":60,"default":15}}
sec_any=[{"bearer":[]},{"license":[]},{"machineToken":[]}]
limits_obj={"type":"object","properties":{k:{"type":["integer","null"]} for k in ["maxMachines","maxWorkflows","executionsPerMonth","concurrentExecutions","requestsPerSecond"]}}
schemas={
 "Error":{"type":"object","required":["error"],"properties":{"error":{"type":"object","required":["code","message"],"properties":{"code":{"type":"string","examples":["MISSING_FIELD","LICENSE_ALREADY_SUSPENDED","MACHINE_LIMIT_EXCEEDED"]},"message":{"type":"string"},"field":{"type":"string"},
   "count":{"type":"integer","description":"Limit errors: the current count."},"limit":{"type":"integer","description":"Limit errors: the limit."},"licenseStatus":{"type":"string","description":"TOKEN_REVOKED: the license's status now."}}}}},
 "ProductDraft":{"type":"object","additionalProperties":False,"required":["code","name"],"properties":{"code":{"type":"string","pattern":"^[a-z0-9][a-z0-9._-]{0,63}$"},"name":{"type":"string","maxLength":200},"metadata":meta}},
 "Product":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"code":{"type":"string"},"name":{"type":"string"},"metadata":meta,"createdAt":dt,"updatedAt":dt}},
 "UsageLimits":{"type":"object","additionalProperties":False,"properties":limits_props},
 "PolicyDraft":{"type":"object","additionalProperties":False,"required":["productId","name"],"properties":{
   "productId":{"type":"string","description":"Cannot change after creation."},"name":{"type":"string","description":"The tier name validation reports."},
   "durationDays":{"type":["integer","null"],"minimum":1,"description":"Omit for perpetual."},
   "machineBinding":{"type":"string","enum":["node-locked","floating"],"default":"floating"},
   "maxMachines":{"type":["integer","null"],"minimum":1},"entitlements":{**strs,"description":"Feature codes; * grants all."},
   "limits":ref("UsageLimits"),"cloudDeployment":{"type":"boolean","default":False},
   "gracePeriodDays":{"type":"integer","minimum":0,"default":0},"offlineGraceDays":{"type":"integer","minimum":0,"default":30},
   "expirationStrategy":{"type":"string","enum":["restrict-access","keep-read-only","revoke"],"default":"restrict-access"},
   **machine_rules,"metadata":meta}},
 "Policy":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"productId":{"type":"string"},"name":{"type":"string"},"durationDays":{"type":["integer","null"]},"machineBinding":{"type":"string","enum":["node-locked","floating"]},"maxMachines":{"type":["integer","null"]},"entitlements":strs,"limits":ref("UsageLimits"),"cloudDeployment":{"type":"boolean"},"gracePeriodDays":{"type":"integer"},"offlineGraceDays":{"type":"integer"},"expirationStrategy":{"type":"string"},**machine_rules,"metadata":meta,"createdAt":dt,"updatedAt":dt}},
 "CustomerDraft":{"type":"object","additionalProperties":False,"required":["name"],"properties":{"name":{"type":"string"},"email":{"type":["string","null"],"format":"email"},"metadata":meta}},
 "Customer":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"name":{"type":"string"},"email":{"type":["string","null"]},"metadata":meta,"createdAt":dt,"updatedAt":dt}},
 "LimitOverrides":{"type":"object","additionalProperties":False,"properties":{k:limitValue for k in ["maxMachines","maxWorkflows","executionsPerMonth","concurrentExecutions","requestsPerSecond"]},"description":"Replace the policy's limits for one license; 'unlimited' lifts a limit."},
 "LicenseDraft":{"type":"object","additionalProperties":False,"required":["policyId","customerId"],"properties":{"policyId":{"type":"string"},"customerId":{"type":"string"},"expiresAt":{**dt,"description":"Defaults to now plus the policy's duration."},"limitOverrides":ref("LimitOverrides"),"entitlements":{**strs,"description":"Granted on top of the policy's."},"metadata":meta}},
 "LicenseUpdate":{"type":"object","additionalProperties":False,"properties":{"expiresAt":{"type":["string","null"],"format":"date-time"},"limitOverrides":ref("LimitOverrides"),"entitlements":strs,"metadata":meta}},
 "License":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"productId":{"type":"string"},"policyId":{"type":"string"},"customerId":{"type":"string"},
   "key":{"type":"string","description":"The signed license key (TG1-…, 179 characters)."},"keyId":{"type":"string"},"state":{"type":"string","enum":["active","suspended","revoked"]},
   "status":{"type":"string","enum":["active","suspended","expired","revoked"],"description":"State plus expiry at the time of the request."},"tier":{"type":"string"},
   "expiresAt":{"type":["string","null"],"format":"date-time"},"limitOverrides":ref("LimitOverrides"),"extraEntitlements":strs,"metadata":meta,"revocationVersion":{"type":"integer"},"createdAt":dt,"updatedAt":dt}},
 "ChangePolicy":{"type":"object","additionalProperties":False,"required":["policyId"],"properties":{"policyId":{"type":"string"}}},
 "ValidationRequest":{"type":"object","required":["key"],"properties":{"key":{"type":"string"},"nonce":{"type":"string","maxLength":256,"description":"Echoed in the signed answer."},"scope":{"type":"object","properties":{"productId":{"type":"string"},"fingerprint":{"type":"string"},"entitlements":strs}}}},
 "ValidationCode":{"type":"string","enum":["VALID","IN_GRACE_PERIOD","NOT_FOUND","MISTYPED","BAD_SIGNATURE","SUSPENDED","EXPIRED","REVOKED","PRODUCT_SCOPE_MISMATCH","ENTITLEMENTS_MISSING","NO_MACHINE"]},
 "ValidationResponse":{"type":"object","required":["valid","code","reasons","license","serverTime","nonce"],"properties":{"valid":{"type":"boolean"},"code":ref("ValidationCode"),
   "reasons":{"type":"array","items":{"type":"object","properties":{"code":ref("ValidationCode"),"message":{"type":"string"}}},"description":"Every failing check."},
   "license":{"oneOf":[{"type":"null"},{"type":"object","properties":{"id":{"type":"string"},"status":{"type":"string"},"tier":{"type":"string"},"policyId":{"type":"string"},"productId":{"type":"string"},"customerId":{"type":"string"},"expiresAt":{"type":["string","null"],"format":"date-time"},"entitlements":strs,"limits":{"type":"object"},"cloudDeployment":{"type":"boolean"},"offlineGraceDays":{"type":"integer"},"access":{"type":"string","enum":["full","read-only","none"]},"revocationVersion":{"type":"integer"}}}]},
   "serverTime":dt,"nonce":{"type":["string","null"]}}},
 "ValidationEvent":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":["string","null"]},"licenseId":{"type":["string","null"]},"code":ref("ValidationCode"),"valid":{"type":"boolean"},"remoteAddress":{"type":["string","null"]},"occurredAt":dt}},
 "AuditEvent":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"sequence":{"type":"integer"},"actor":{"type":"string"},"action":{"type":"string"},"objectType":{"type":"string"},"objectId":{"type":"string"},"beforeDigest":{"type":["string","null"]},"afterDigest":{"type":["string","null"]},"occurredAt":dt,"previousHash":{"type":"string"},"hash":{"type":"string"}}},
 "Account":{"type":"object","required":["id","name","createdAt","signingKeyId","caller"],"additionalProperties":False,"properties":{
   "id":{"type":"string"},"name":{"type":"string"},"createdAt":{"type":"string","format":"date-time"},
   "signingKeyId":{"type":["string","null"],"description":"The key that signs new licenses, tokens and answers."},
   "caller":{"type":"object","required":["tokenId","scope"],"additionalProperties":False,"properties":{"tokenId":{"type":"string"},"scope":{"type":"string","enum":["admin","read-only"]}}}}},
 "Event":{"type":"object","required":["id","accountId","sequence","type","objectType","objectId","actor","data","occurredAt"],"properties":{
   "id":{"type":"string"},"accountId":{"type":"string"},"sequence":{"type":"integer","description":"Gap-free, increasing per account: the order the changes committed."},
   "type":{"type":"string","examples":["license.created","license.suspended","machine.activated","machine.died"]},"objectType":{"type":"string"},"objectId":{"type":"string"},
   "actor":{"type":"string","description":"An API token id, license:<id>, machine:<id>, system or system:sweeper."},
   "data":{"type":["object","null"],"description":"The object's state after the change, as the API shows it."},"occurredAt":dt}},
 "AuditVerification":{"type":"object","properties":{"valid":{"type":"boolean"},"checked":{"type":"integer"},"firstBrokenSequence":{"type":["integer","null"]},"reason":{"type":["string","null"]}}},
 "SigningKey":{"type":"object","properties":{"kid":{"type":"string"},"status":{"type":"string","enum":["live","retired"]},"current":{"type":"boolean"},"createdAt":dt,"retiredAt":{"type":["string","null"],"format":"date-time"},"publicKeyPem":{"type":"string"}}},
 "JWKS":{"type":"object","properties":{"keys":{"type":"array","items":{"type":"object","properties":{"kty":{"const":"OKP"},"crv":{"const":"Ed25519"},"kid":{"type":"string"},"x":{"type":"string"},"use":{"const":"sig"},"alg":{"const":"EdDSA"}}}}}},
 "Status":{"type":"object","properties":{"status":{"type":"string"}}},
 "Activation":{"type":"object","additionalProperties":False,"required":["fingerprint"],"properties":{
   "licenseId":{"type":"string","description":"Required with an API token; with a license key it is the key's license."},
   "fingerprint":{"type":"string","maxLength":256,"description":"Printable ASCII without spaces; unique among the license's active machines."},
   "name":{"type":"string"},"platform":{"type":"string"},"hostname":{"type":"string"},"cores":{"type":"integer","minimum":1,"maximum":4096},
   "cluster":{"type":"string","description":"The cluster the machine is a node of (cluster-bound licenses)."}}},
 "Machine":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"licenseId":{"type":"string"},"fingerprint":{"type":"string"},
   "name":{"type":["string","null"]},"platform":{"type":["string","null"]},"hostname":{"type":["string","null"]},"cores":{"type":["integer","null"]},"cluster":{"type":["string","null"]},
   "state":{"type":"string","enum":["active","deactivated"]},"status":{"type":"string","enum":["alive","dead","deactivated"],"description":"At the time of the request."},
   "deactivationReason":{"type":["string","null"],"enum":["requested","dead","cluster-drained","offline-receipt",None]},"deactivatedAt":{"type":["string","null"],"format":"date-time"},
   "lastHeartbeatAt":dt,"deadAt":{"type":["string","null"],"format":"date-time","description":"When it counts as dead without a beat; null when it needs no heartbeats."},
   "nextHeartbeatDueAt":{"type":["string","null"],"format":"date-time"},"heartbeatIntervalSeconds":{"type":["integer","null"]},
   "drainingUntil":{"type":["string","null"],"format":"date-time"},"tokenVersion":{"type":"integer"},"activatedOffline":{"type":"boolean"},"createdAt":dt,"updatedAt":dt}},
 "LicenseSummary":{"type":"object","properties":{"id":{"type":"string"},"status":{"type":"string"},"tier":{"type":"string"},"productId":{"type":"string"},"policyId":{"type":"string"},"customerId":{"type":"string"},"expiresAt":{"type":["string","null"],"format":"date-time"},"entitlements":strs,"limits":limits_obj,"revocationVersion":{"type":"integer"}}},
 "MachineAnswer":{"type":"object","required":["machine","license","valid","code","token","tokenExpiresAt"],"properties":{"machine":ref("Machine"),"license":ref("LicenseSummary"),"valid":{"type":"boolean"},"code":ref("ValidationCode"),
   "token":{"type":["string","null"],"description":"Activation token: a JWT (EdDSA, kid in the header; verify with /.well-known/jwks.json). Null when the license may not run."},
   "tokenExpiresAt":{"type":["string","null"],"format":"date-time"}}},
 "CheckOut":{"type":"object","additionalProperties":False,"properties":{"encrypt":{"type":"boolean","default":False,"description":"AES-256-GCM under a key derived from the license key (and the fingerprint for a machine file)."},"ttlSeconds":{"type":"integer","minimum":3600,"maximum":31536000,"description":"Default: the policy's offline grace."}}},
 "LicenseFile":{"type":"object","properties":{"file":{"type":"string","description":"-----BEGIN TOLLGATE LICENSE FILE----- armor"},"encrypted":{"type":"boolean"},"issuedAt":dt,"expiresAt":dt}},
 "OfflineActivation":{"type":"object","additionalProperties":False,"required":["request"],"properties":{"request":{"type":"string","description":"-----BEGIN TOLLGATE ACTIVATION REQUEST----- block made on the air-gapped machine."},"encrypt":{"type":"boolean"},"ttlSeconds":{"type":"integer"}}},
 "OfflineActivationAnswer":{"type":"object","properties":{"machine":ref("Machine"),"file":{"type":"string"},"encrypted":{"type":"boolean"},"expiresAt":dt}},
 "OfflineDeactivation":{"type":"object","additionalProperties":False,"required":["receipt"],"properties":{"receipt":{"type":"string","description":"-----BEGIN TOLLGATE DEACTIVATION RECEIPT----- block."}}},
 "LeaseRequest":{"type":"object","additionalProperties":False,"properties":{"ttlSeconds":{"type":"integer","minimum":10,"maximum":86400,"default":300},"holder":{"type":"string"}}},
 "Lease":{"type":"object","properties":{"id":{"type":"string"},"accountId":{"type":"string"},"licenseId":{"type":"string"},"machineId":{"type":["string","null"]},"holder":{"type":["string","null"]},"expiresAt":dt,"createdAt":dt}},
 "TokenVerification":{"type":"object","required":["valid","code","message","claims","licenseStatus"],"properties":{"valid":{"type":"boolean"},"code":{"type":"string","enum":["VALID","TOKEN_INVALID","TOKEN_EXPIRED","TOKEN_REVOKED","MACHINE_DEACTIVATED"]},"message":{"type":"string"},"claims":{"type":["object","null"],"description":"The JWT payload as signed."},"licenseStatus":{"type":["string","null"]}}},
}
schemas["ProductPatch"]=patch_of(schemas["ProductDraft"],removable=("metadata",))
schemas["PolicyPatch"]=patch_of(schemas["PolicyDraft"],immutable=("productId",),removable=("durationDays","maxMachines","entitlements","limits","maxClusters","maxNodesPerCluster","metadata"))
schemas["CustomerPatch"]=patch_of(schemas["CustomerDraft"],removable=("email","metadata"))
schemas["LicensePatch"]=schemas.pop("LicenseUpdate")
paths={}
paths.update(crud("products","Product","ProductDraft","Products",conflicts=("409:PRODUCT_CODE_TAKEN: another product of the account has this code",)))
paths.update(crud("policies","Policy","PolicyDraft","Policies",[{"name":"productId","in":"query","schema":{"type":"string"}}]))
paths.update(crud("customers","Customer","CustomerDraft","Customers",[{"name":"email","in":"query","schema":{"type":"string"}}]))
lic=crud("licenses","License","LicenseDraft","Licenses",[{"name":n,"in":"query","schema":{"type":"string"}} for n in ["customerId","productId","policyId"]]+[{"name":"status","in":"query","schema":{"type":"string","enum":["active","suspended","expired","revoked"]}},{"name":"expiringBefore","in":"query","schema":{"type":"string","format":"date"},"description":"ISO 8601 date or time."}])
lic["/v1/licenses"]["post"]["description"]="Issues a license and signs its key with the account's current signing key."
paths.update(lic)
paths["/v1/policies/presets/{preset}"]={"post":{"tags":["Policies"],"operationId":"applyPreset","summary":"Create a seed tier (community, professional, enterprise) for a product","security":sec,
  "parameters":[{"name":"preset","in":"path","required":True,"schema":{"type":"string","enum":["community","professional","enterprise"]}},idem],
  "requestBody":body({"type":"object","additionalProperties":False,"required":["productId"],"properties":{"productId":{"type":"string"}}}),"responses":{**ok(ref("Policy"),"201","Created"),**errors(*W,"404")}}}
for action,summary,conflicts in [
    ("suspend","Suspend a license: validations fail with SUSPENDED and machine tokens are revoked","409:LICENSE_ALREADY_SUSPENDED or LICENSE_REVOKED"),
    ("reinstate","Reinstate a suspended license","409:LICENSE_NOT_SUSPENDED or LICENSE_REVOKED"),
    ("renew","Renew a license for the policy's duration from its expiry (or from now, once expired)","409:LICENSE_PERPETUAL or LICENSE_REVOKED"),
    ("revoke","Revoke a license for good; machine tokens are revoked","409:LICENSE_REVOKED"),
    ("change-policy","Move a license to another policy of its product; machine tokens are revoked","409:POLICY_UNCHANGED or LICENSE_REVOKED")]:
    op={"tags":["Licenses"],"operationId":"license"+"".join(w.capitalize() for w in action.split("-")),"summary":summary,"security":sec,"parameters":[pid(),idem],
        "responses":{**ok(ref("License")),**errors(*W,"404",conflicts)}}
    if action=="change-policy": op["requestBody"]=body(ref("ChangePolicy"))
    else: op["description"]="Takes no body (an empty body or {} is accepted)."
    paths[f"/v1/licenses/{{id}}/actions/{action}"]={"post":op}
paths["/v1/licenses/{id}/validations"]={"get":{"tags":["Licenses"],"operationId":"listValidations","summary":"The license's validation log, newest first","security":sec,"parameters":[pid()]+pagep,"responses":{**ok(page("ValidationEvent")),**errors("400","401","404","503")}}}
paths["/v1/licenses/validate"]={"post":{"tags":["Validation"],"operationId":"validateLicense","summary":"Validate a license key (no API token: the key is the credential)",
  "description":"Always 200 for a readable request: `valid` and `code` give the verdict, `reasons` every failing check. The body is signed: verify `Tollgate-Signature` with the key it names in /.well-known/jwks.json and check the echoed nonce.",
  "requestBody":body(ref("ValidationRequest")),
  "responses":{**ok(ref("ValidationResponse"),headers={"Tollgate-Signature":{"description":"keyid=\"…\", algorithm=\"ed25519\", signature=\"<base64 Ed25519 over the exact body bytes>\"","schema":{"type":"string"}}}),**errors("400","413","422","503")}}}
M=["400","401","403","404","409","413","422","503"]
paths["/v1/machines"]={
 "post":{"tags":["Machines"],"operationId":"activateMachine","summary":"Activate a machine (license key or API token)",
  "description":"Errors: 403 SUSPENDED/EXPIRED/REVOKED, 409 FINGERPRINT_TAKEN/CLUSTER_DRAINING, 422 MACHINE_LIMIT_EXCEEDED/CLUSTER_LIMIT_EXCEEDED/NODE_LIMIT_EXCEEDED with `count` and `limit` in the error object.",
  "security":[{"bearer":[]},{"license":[]}],"parameters":[idem],"requestBody":body(ref("Activation")),"responses":{**ok(ref("MachineAnswer"),"201","Created"),**errors(*M)}},
 "get":{"tags":["Machines"],"operationId":"listMachines","summary":"List the account's machines","security":sec,"parameters":pagep+[{"name":"licenseId","in":"query","schema":{"type":"string"}},{"name":"state","in":"query","schema":{"type":"string","enum":["active","deactivated"]}}],"responses":{**ok(page("Machine")),**errors(*R)}}}
paths["/v1/machines/{id}"]={
 "get":{"tags":["Machines"],"operationId":"getMachine","summary":"Show a machine (alive, dead or deactivated)","security":sec_any,"parameters":[pid()],"responses":{**ok(ref("Machine")),**errors("401","404","503")}},
 "delete":{"tags":["Machines"],"operationId":"deactivateMachine","summary":"Deactivate a machine (its own token, its license key, or an API token); its tokens are revoked",
  "description":"Giving a seat back is always allowed: this is the one route where the machine's own token counts even after it was revoked (it must still be genuine and unexpired). 409 MACHINE_ALREADY_DEACTIVATED.",
  "security":sec_any,"parameters":[pid()],"responses":{**ok(ref("Machine")),**errors("401","404","409","503")}}}
paths["/v1/machines/{id}/heartbeat"]={"post":{"tags":["Machines"],"operationId":"heartbeat","summary":"Heartbeat: moves the deadline, answers the license status and a fresh token",
  "description":"A machine token that is no longer current answers 401 TOKEN_REVOKED with `licenseStatus` in the error; TOKEN_EXPIRED when it expired. A culled machine comes back within the resurrection window; otherwise 409 MACHINE_DEACTIVATED. Idempotency-Key is ignored: a beat is safe to repeat, and each answers the current state with a fresh token.",
  "security":sec_any,"parameters":[pid()],"responses":{**ok(ref("MachineAnswer")),**errors(*M)}}}
paths["/v1/machines/{id}/actions/check-out"]={"post":{"tags":["Offline"],"operationId":"checkOutMachine","summary":"A signed machine file for offline use","security":sec_any,"parameters":[pid(),idem],
  "requestBody":{"required":False,"content":{"application/json":{"schema":ref("CheckOut")}}},"responses":{**ok(ref("LicenseFile"),"201","Created"),**errors(*M)}}}
paths["/v1/licenses/{id}/actions/check-out"]={"post":{"tags":["Offline"],"operationId":"checkOutLicense","summary":"A signed license file for offline use","security":sec_any,"parameters":[pid(),idem],
  "requestBody":{"required":False,"content":{"application/json":{"schema":ref("CheckOut")}}},"responses":{**ok(ref("LicenseFile"),"201","Created"),**errors(*M)}}}
paths["/v1/licenses/{id}/machines"]={"get":{"tags":["Machines"],"operationId":"listLicenseMachines","summary":"A license's machines with alive/dead status and last heartbeat","security":sec_any,"parameters":[pid()]+pagep+[{"name":"state","in":"query","schema":{"type":"string","enum":["active","deactivated"]}}],"responses":{**ok(page("Machine")),**errors("400","401","404","503")}}}
paths["/v1/machines/offline-activations"]={"post":{"tags":["Offline"],"operationId":"offlineActivation","summary":"Activate an air-gapped machine from its request block (the block's proof is the credential)",
  "description":"201 with the machine file; 200 with a fresh file when the same request was already answered (the block's nonce makes the route idempotent, so Idempotency-Key is ignored). 401 PROOF_INVALID, 422 REQUEST_MALFORMED/REQUEST_EXPIRED/REQUEST_IN_FUTURE, 409 REQUEST_USED, plus the activation errors.",
  "requestBody":body(ref("OfflineActivation")),"responses":{**ok(ref("OfflineActivationAnswer"),"201","Created"),**errors(*M)}}}
paths["/v1/machines/offline-deactivations"]={"post":{"tags":["Offline"],"operationId":"offlineDeactivation","summary":"Free the seat named by an air-gapped machine's deactivation receipt",
  "description":"Submitting a receipt again answers the same machine, so Idempotency-Key is ignored.",
  "requestBody":body(ref("OfflineDeactivation")),"responses":{**ok(ref("Machine")),**errors("400","401","404","413","422","503")}}}
paths["/v1/licenses/{id}/leases"]={
 "post":{"tags":["Leases"],"operationId":"takeLease","summary":"Take a concurrentExecutions slot for a TTL","description":"422 CONCURRENCY_LIMIT_EXCEEDED with `count` and `limit` when every slot is held.","security":sec_any,"parameters":[pid(),idem],
  "requestBody":{"required":False,"content":{"application/json":{"schema":ref("LeaseRequest")}}},"responses":{**ok(ref("Lease"),"201","Created"),**errors(*M)}},
 "get":{"tags":["Leases"],"operationId":"listLeases","summary":"The license's unexpired leases","security":sec_any,"parameters":[pid()],"responses":{**ok(page("Lease")),**errors("401","404","503")}}}
paths["/v1/licenses/{id}/leases/{lease}/actions/renew"]={"post":{"tags":["Leases"],"operationId":"renewLease","summary":"Extend a lease that has not expired (409 LEASE_EXPIRED otherwise)","security":sec_any,"parameters":[pid(),pid("lease"),idem],
  "requestBody":{"required":False,"content":{"application/json":{"schema":{"type":"object","additionalProperties":False,"properties":{"ttlSeconds":{"type":"integer","minimum":10,"maximum":86400}}}}}},"responses":{**ok(ref("Lease")),**errors(*M)}}}
paths["/v1/licenses/{id}/leases/{lease}"]={"delete":{"tags":["Leases"],"operationId":"releaseLease","summary":"Return a lease","security":sec_any,"parameters":[pid(),pid("lease")],"responses":{"204":{"description":"Returned"},**errors("401","404","503")}}}
paths["/v1/tokens/verify"]={"post":{"tags":["Machines"],"operationId":"verifyToken","summary":"Whether an activation token is valid now (signature, expiry, and not revoked)",
  "requestBody":body({"type":"object","additionalProperties":False,"required":["token"],"properties":{"token":{"type":"string"}}}),"responses":{**ok(ref("TokenVerification")),**errors("400","413","422","503")}}}
paths["/v1/audit-events"]={"get":{"tags":["Audit"],"operationId":"listAuditEvents","summary":"The account's audit log, newest first","security":sec,"parameters":pagep+[{"name":"objectId","in":"query","schema":{"type":"string"}}],"responses":{**ok(page("AuditEvent")),**errors(*R)}}}
paths["/v1/account"]={"get":{"tags":["Accounts"],"operationId":"showAccount","summary":"The caller's account, its current signing key and the calling token","security":sec,"responses":{**ok(ref("Account")),**errors("401","403","503")}}}
paths["/v1/events"]={"get":{"tags":["Events"],"operationId":"listEvents","summary":"The account's event log, in commit order (oldest first)",
  "description":"Every change writes its event in the same transaction: a change that was answered has its event, a refused one has none. Follow the log with `after` (a sequence) or the cursor.",
  "security":sec,"parameters":pagep+[{"name":"type","in":"query","schema":{"type":"string"},"description":"An event type, or a prefix such as license.*"},
  {"name":"objectId","in":"query","schema":{"type":"string"}},{"name":"after","in":"query","schema":{"type":"integer","minimum":0},"description":"Only events with a greater sequence."}],
  "responses":{**ok(page("Event")),**errors(*R)}}}
paths["/v1/audit-events/verify"]={"get":{"tags":["Audit"],"operationId":"verifyAuditChain","summary":"Recompute the hash chain and report the first broken entry","security":sec,"responses":{**ok(ref("AuditVerification")),**errors("401","503")}}}
paths["/v1/keys"]={"get":{"tags":["Keys"],"operationId":"listKeys","summary":"The account's signing keys (public halves)","security":sec,"responses":{**ok(page("SigningKey")),**errors("401")}}}
paths["/v1/keys/actions/rotate"]={"post":{"tags":["Keys"],"operationId":"rotateKey","summary":"Add a signing key; new licenses use it, old keys keep verifying","security":sec,"parameters":[idem],"responses":{**ok(ref("SigningKey"),"201","Created"),**errors("400","401","403","413","422","503")}}}
paths["/v1/keys/{kid}/actions/retire"]={"post":{"tags":["Keys"],"operationId":"retireKey","summary":"Retire a signing key: it stops signing and verifying","security":sec,"parameters":[pid("kid"),idem],"responses":{**ok(ref("SigningKey")),**errors("400","401","403","404","409:KEY_ALREADY_RETIRED or KEY_IS_LAST","413","422","503")}}}
paths["/.well-known/jwks.json"]={"get":{"tags":["Operations"],"operationId":"jwks","summary":"Live public signing keys (RFC 8037 OKP/Ed25519)","parameters":[{"name":"account","in":"query","schema":{"type":"string"},"description":"Only this account's keys."}],"responses":ok(ref("JWKS"))}}
paths["/healthz"]={"get":{"tags":["Operations"],"operationId":"health","summary":"The process is alive","responses":ok(ref("Status"))}}
paths["/readyz"]={"get":{"tags":["Operations"],"operationId":"ready","summary":"The database answers and takes writes","responses":{**ok(ref("Status")),"503":{"description":"The database does not answer, or refuses writes (read-only, full)","content":{"application/json":{"schema":ref("Status")}}}}}}
paths["/metrics"]={"get":{"tags":["Operations"],"operationId":"metrics","summary":"Prometheus metrics","responses":{"200":{"description":"Prometheus text exposition","content":{"text/plain":{"schema":{"type":"string"}}}}}}}
paths["/openapi.json"]={"get":{"tags":["Operations"],"operationId":"openapi","summary":"This document","responses":{"200":{"description":"OpenAPI 3.1","content":{"application/json":{"schema":{"type":"object"}}}}}}}
doc={"openapi":"3.1.0","info":{"title":"Tollgate","version":"0.1.0","description":"Self-hosted licensing server. JSON under /v1, camelCase, cursor pagination, errors as {\"error\":{\"code\",\"message\",\"field\"}}."},
 "servers":[{"url":"http://127.0.0.1:8080"}],
 "components":{"securitySchemes":{"bearer":{"type":"http","scheme":"bearer","description":"An API token: tga_… (admin) or tgr_… (read-only)."},
   "license":{"type":"apiKey","in":"header","name":"Authorization","description":"`License <key>`: the license key, for its own license's machine routes."},
   "machineToken":{"type":"http","scheme":"bearer","bearerFormat":"JWT","description":"A machine's activation token, for its own machine."}},"schemas":schemas},
 "paths":dict(sorted(paths.items()))}
text=json.dumps(doc,indent=1,sort_keys=False)
assert '"""#' not in text
(ROOT / "Sources/TollgateServer/Operations/OpenAPIDocument.swift").write_text('''/// The OpenAPI 3.1 document served at `/openapi.json`. Embedded in the binary so a server
/// needs no resource files; `OpenAPITests` checks that it documents exactly the registered routes.
/// Generated by scripts/gen-openapi.py: edit that, run it, commit both.
enum OpenAPIDocument {
    static let json = #"""
'''+text+'''
"""#
}
''')
