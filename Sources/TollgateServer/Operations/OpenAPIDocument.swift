/// The OpenAPI 3.1 document served at `/openapi.json`. Embedded in the binary so a server
/// needs no resource files; `OpenAPITests` checks that it documents exactly the registered routes.
enum OpenAPIDocument {
    static let json = #"""
{
 "openapi": "3.1.0",
 "info": {
  "title": "Tollgate",
  "version": "0.1.0",
  "description": "Self-hosted licensing server. JSON under /v1, camelCase, cursor pagination, errors as {\"error\":{\"code\",\"message\",\"field\"}}."
 },
 "servers": [
  {
   "url": "http://127.0.0.1:8080"
  }
 ],
 "components": {
  "securitySchemes": {
   "bearer": {
    "type": "http",
    "scheme": "bearer",
    "description": "An API token: tga_\u2026 (admin) or tgr_\u2026 (read-only)."
   }
  },
  "schemas": {
   "Error": {
    "type": "object",
    "required": [
     "error"
    ],
    "properties": {
     "error": {
      "type": "object",
      "required": [
       "code",
       "message"
      ],
      "properties": {
       "code": {
        "type": "string",
        "examples": [
         "MISSING_FIELD",
         "LICENSE_ALREADY_SUSPENDED"
        ]
       },
       "message": {
        "type": "string"
       },
       "field": {
        "type": "string"
       }
      }
     }
    }
   },
   "ProductDraft": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "code",
     "name"
    ],
    "properties": {
     "code": {
      "type": "string",
      "pattern": "^[a-z0-9][a-z0-9._-]{0,63}$"
     },
     "name": {
      "type": "string",
      "maxLength": 200
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     }
    }
   },
   "Product": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": "string"
     },
     "code": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "updatedAt": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "UsageLimits": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "maxWorkflows": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 0,
      "description": "null = unlimited"
     },
     "executionsPerMonth": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 0,
      "description": "null = unlimited"
     },
     "concurrentExecutions": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 0,
      "description": "null = unlimited"
     },
     "requestsPerSecond": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 0,
      "description": "null = unlimited"
     }
    }
   },
   "PolicyDraft": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "productId",
     "name"
    ],
    "properties": {
     "productId": {
      "type": "string",
      "description": "Cannot change after creation."
     },
     "name": {
      "type": "string",
      "description": "The tier name validation reports."
     },
     "durationDays": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 1,
      "description": "Omit for perpetual."
     },
     "machineBinding": {
      "type": "string",
      "enum": [
       "node-locked",
       "floating"
      ],
      "default": "floating"
     },
     "maxMachines": {
      "type": [
       "integer",
       "null"
      ],
      "minimum": 1
     },
     "entitlements": {
      "type": "array",
      "items": {
       "type": "string"
      },
      "description": "Feature codes; * grants all."
     },
     "limits": {
      "$ref": "#/components/schemas/UsageLimits"
     },
     "cloudDeployment": {
      "type": "boolean",
      "default": false
     },
     "gracePeriodDays": {
      "type": "integer",
      "minimum": 0,
      "default": 0
     },
     "offlineGraceDays": {
      "type": "integer",
      "minimum": 0,
      "default": 30
     },
     "expirationStrategy": {
      "type": "string",
      "enum": [
       "restrict-access",
       "keep-read-only",
       "revoke"
      ],
      "default": "restrict-access"
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     }
    }
   },
   "Policy": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": "string"
     },
     "productId": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "durationDays": {
      "type": [
       "integer",
       "null"
      ]
     },
     "machineBinding": {
      "type": "string",
      "enum": [
       "node-locked",
       "floating"
      ]
     },
     "maxMachines": {
      "type": [
       "integer",
       "null"
      ]
     },
     "entitlements": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "limits": {
      "$ref": "#/components/schemas/UsageLimits"
     },
     "cloudDeployment": {
      "type": "boolean"
     },
     "gracePeriodDays": {
      "type": "integer"
     },
     "offlineGraceDays": {
      "type": "integer"
     },
     "expirationStrategy": {
      "type": "string"
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "updatedAt": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "CustomerDraft": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "name"
    ],
    "properties": {
     "name": {
      "type": "string"
     },
     "email": {
      "type": [
       "string",
       "null"
      ],
      "format": "email"
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     }
    }
   },
   "Customer": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": "string"
     },
     "name": {
      "type": "string"
     },
     "email": {
      "type": [
       "string",
       "null"
      ]
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "updatedAt": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "LimitOverrides": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "maxMachines": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "string",
        "const": "unlimited"
       }
      ]
     },
     "maxWorkflows": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "string",
        "const": "unlimited"
       }
      ]
     },
     "executionsPerMonth": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "string",
        "const": "unlimited"
       }
      ]
     },
     "concurrentExecutions": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "string",
        "const": "unlimited"
       }
      ]
     },
     "requestsPerSecond": {
      "oneOf": [
       {
        "type": "integer",
        "minimum": 0
       },
       {
        "type": "string",
        "const": "unlimited"
       }
      ]
     }
    },
    "description": "Replace the policy's limits for one license; 'unlimited' lifts a limit."
   },
   "LicenseDraft": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "policyId",
     "customerId"
    ],
    "properties": {
     "policyId": {
      "type": "string"
     },
     "customerId": {
      "type": "string"
     },
     "expiresAt": {
      "type": "string",
      "format": "date-time",
      "description": "Defaults to now plus the policy's duration."
     },
     "limitOverrides": {
      "$ref": "#/components/schemas/LimitOverrides"
     },
     "entitlements": {
      "type": "array",
      "items": {
       "type": "string"
      },
      "description": "Granted on top of the policy's."
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     }
    }
   },
   "LicenseUpdate": {
    "type": "object",
    "additionalProperties": false,
    "properties": {
     "expiresAt": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time"
     },
     "limitOverrides": {
      "$ref": "#/components/schemas/LimitOverrides"
     },
     "entitlements": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     }
    }
   },
   "License": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": "string"
     },
     "productId": {
      "type": "string"
     },
     "policyId": {
      "type": "string"
     },
     "customerId": {
      "type": "string"
     },
     "key": {
      "type": "string",
      "description": "The signed license key (TG1-\u2026, 179 characters)."
     },
     "keyId": {
      "type": "string"
     },
     "state": {
      "type": "string",
      "enum": [
       "active",
       "suspended",
       "revoked"
      ]
     },
     "status": {
      "type": "string",
      "enum": [
       "active",
       "suspended",
       "expired",
       "revoked"
      ],
      "description": "State plus expiry at the time of the request."
     },
     "tier": {
      "type": "string"
     },
     "expiresAt": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time"
     },
     "limitOverrides": {
      "$ref": "#/components/schemas/LimitOverrides"
     },
     "extraEntitlements": {
      "type": "array",
      "items": {
       "type": "string"
      }
     },
     "metadata": {
      "type": "object",
      "additionalProperties": {
       "type": "string"
      },
      "maxProperties": 50
     },
     "revocationVersion": {
      "type": "integer"
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "updatedAt": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "ChangePolicy": {
    "type": "object",
    "additionalProperties": false,
    "required": [
     "policyId"
    ],
    "properties": {
     "policyId": {
      "type": "string"
     }
    }
   },
   "ValidationRequest": {
    "type": "object",
    "required": [
     "key"
    ],
    "properties": {
     "key": {
      "type": "string"
     },
     "nonce": {
      "type": "string",
      "maxLength": 256,
      "description": "Echoed in the signed answer."
     },
     "scope": {
      "type": "object",
      "properties": {
       "productId": {
        "type": "string"
       },
       "fingerprint": {
        "type": "string"
       },
       "entitlements": {
        "type": "array",
        "items": {
         "type": "string"
        }
       }
      }
     }
    }
   },
   "ValidationCode": {
    "type": "string",
    "enum": [
     "VALID",
     "IN_GRACE_PERIOD",
     "NOT_FOUND",
     "MISTYPED",
     "BAD_SIGNATURE",
     "SUSPENDED",
     "EXPIRED",
     "REVOKED",
     "PRODUCT_SCOPE_MISMATCH",
     "ENTITLEMENTS_MISSING",
     "NO_MACHINE"
    ]
   },
   "ValidationResponse": {
    "type": "object",
    "required": [
     "valid",
     "code",
     "reasons",
     "license",
     "serverTime",
     "nonce"
    ],
    "properties": {
     "valid": {
      "type": "boolean"
     },
     "code": {
      "$ref": "#/components/schemas/ValidationCode"
     },
     "reasons": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "code": {
         "$ref": "#/components/schemas/ValidationCode"
        },
        "message": {
         "type": "string"
        }
       }
      },
      "description": "Every failing check."
     },
     "license": {
      "oneOf": [
       {
        "type": "null"
       },
       {
        "type": "object",
        "properties": {
         "id": {
          "type": "string"
         },
         "status": {
          "type": "string"
         },
         "tier": {
          "type": "string"
         },
         "policyId": {
          "type": "string"
         },
         "productId": {
          "type": "string"
         },
         "customerId": {
          "type": "string"
         },
         "expiresAt": {
          "type": [
           "string",
           "null"
          ],
          "format": "date-time"
         },
         "entitlements": {
          "type": "array",
          "items": {
           "type": "string"
          }
         },
         "limits": {
          "type": "object"
         },
         "cloudDeployment": {
          "type": "boolean"
         },
         "offlineGraceDays": {
          "type": "integer"
         },
         "access": {
          "type": "string",
          "enum": [
           "full",
           "read-only",
           "none"
          ]
         },
         "revocationVersion": {
          "type": "integer"
         }
        }
       }
      ]
     },
     "serverTime": {
      "type": "string",
      "format": "date-time"
     },
     "nonce": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "ValidationEvent": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": [
       "string",
       "null"
      ]
     },
     "licenseId": {
      "type": [
       "string",
       "null"
      ]
     },
     "code": {
      "$ref": "#/components/schemas/ValidationCode"
     },
     "valid": {
      "type": "boolean"
     },
     "remoteAddress": {
      "type": [
       "string",
       "null"
      ]
     },
     "occurredAt": {
      "type": "string",
      "format": "date-time"
     }
    }
   },
   "AuditEvent": {
    "type": "object",
    "properties": {
     "id": {
      "type": "string"
     },
     "accountId": {
      "type": "string"
     },
     "sequence": {
      "type": "integer"
     },
     "actor": {
      "type": "string"
     },
     "action": {
      "type": "string"
     },
     "objectType": {
      "type": "string"
     },
     "objectId": {
      "type": "string"
     },
     "beforeDigest": {
      "type": [
       "string",
       "null"
      ]
     },
     "afterDigest": {
      "type": [
       "string",
       "null"
      ]
     },
     "occurredAt": {
      "type": "string",
      "format": "date-time"
     },
     "previousHash": {
      "type": "string"
     },
     "hash": {
      "type": "string"
     }
    }
   },
   "AuditVerification": {
    "type": "object",
    "properties": {
     "valid": {
      "type": "boolean"
     },
     "checked": {
      "type": "integer"
     },
     "firstBrokenSequence": {
      "type": [
       "integer",
       "null"
      ]
     },
     "reason": {
      "type": [
       "string",
       "null"
      ]
     }
    }
   },
   "SigningKey": {
    "type": "object",
    "properties": {
     "kid": {
      "type": "string"
     },
     "status": {
      "type": "string",
      "enum": [
       "live",
       "retired"
      ]
     },
     "current": {
      "type": "boolean"
     },
     "createdAt": {
      "type": "string",
      "format": "date-time"
     },
     "retiredAt": {
      "type": [
       "string",
       "null"
      ],
      "format": "date-time"
     },
     "publicKeyPem": {
      "type": "string"
     }
    }
   },
   "JWKS": {
    "type": "object",
    "properties": {
     "keys": {
      "type": "array",
      "items": {
       "type": "object",
       "properties": {
        "kty": {
         "const": "OKP"
        },
        "crv": {
         "const": "Ed25519"
        },
        "kid": {
         "type": "string"
        },
        "x": {
         "type": "string"
        },
        "use": {
         "const": "sig"
        },
        "alg": {
         "const": "EdDSA"
        }
       }
      }
     }
    }
   },
   "Status": {
    "type": "object",
    "properties": {
     "status": {
      "type": "string"
     }
    }
   }
  }
 },
 "paths": {
  "/.well-known/jwks.json": {
   "get": {
    "tags": [
     "Operations"
    ],
    "operationId": "jwks",
    "summary": "Live public signing keys (RFC 8037 OKP/Ed25519)",
    "parameters": [
     {
      "name": "account",
      "in": "query",
      "schema": {
       "type": "string"
      },
      "description": "Only this account's keys."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/JWKS"
        }
       }
      }
     }
    }
   }
  },
  "/healthz": {
   "get": {
    "tags": [
     "Operations"
    ],
    "operationId": "health",
    "summary": "The process is alive",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     }
    }
   }
  },
  "/metrics": {
   "get": {
    "tags": [
     "Operations"
    ],
    "operationId": "metrics",
    "summary": "Prometheus metrics",
    "responses": {
     "200": {
      "description": "Prometheus text exposition",
      "content": {
       "text/plain": {
        "schema": {
         "type": "string"
        }
       }
      }
     }
    }
   }
  },
  "/openapi.json": {
   "get": {
    "tags": [
     "Operations"
    ],
    "operationId": "openapi",
    "summary": "This document",
    "responses": {
     "200": {
      "description": "OpenAPI 3.1",
      "content": {
       "application/json": {
        "schema": {
         "type": "object"
        }
       }
      }
     }
    }
   }
  },
  "/readyz": {
   "get": {
    "tags": [
     "Operations"
    ],
    "operationId": "ready",
    "summary": "The database answers",
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     },
     "503": {
      "description": "The database does not answer",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Status"
        }
       }
      }
     }
    }
   }
  },
  "/v1/audit-events": {
   "get": {
    "tags": [
     "Audit"
    ],
    "operationId": "listAuditEvents",
    "summary": "The account's audit log, newest first",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "objectId",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/AuditEvent"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/audit-events/verify": {
   "get": {
    "tags": [
     "Audit"
    ],
    "operationId": "verifyAuditChain",
    "summary": "Recompute the hash chain and report the first broken entry",
    "security": [
     {
      "bearer": []
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/AuditVerification"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/customers": {
   "post": {
    "tags": [
     "Customers"
    ],
    "operationId": "createCustomer",
    "summary": "Create a customer",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CustomerDraft"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Customer"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "get": {
    "tags": [
     "Customers"
    ],
    "operationId": "listCustomers",
    "summary": "List customers",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "email",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Customer"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/customers/{id}": {
   "get": {
    "tags": [
     "Customers"
    ],
    "operationId": "getCustomer",
    "summary": "Show a customer",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Customer"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "patch": {
    "tags": [
     "Customers"
    ],
    "operationId": "updateCustomer",
    "summary": "Update a customer (JSON Merge Patch: null removes a field)",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/CustomerDraft"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Customer"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/keys": {
   "get": {
    "tags": [
     "Keys"
    ],
    "operationId": "listKeys",
    "summary": "The account's signing keys (public halves)",
    "security": [
     {
      "bearer": []
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/SigningKey"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/keys/actions/rotate": {
   "post": {
    "tags": [
     "Keys"
    ],
    "operationId": "rotateKey",
    "summary": "Add a signing key; new licenses use it, old keys keep verifying",
    "security": [
     {
      "bearer": []
     }
    ],
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SigningKey"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The object's state forbids this",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/keys/{kid}/actions/retire": {
   "post": {
    "tags": [
     "Keys"
    ],
    "operationId": "retireKey",
    "summary": "Retire a signing key: it stops signing and verifying",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "kid",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/SigningKey"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The object's state forbids this",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/licenses": {
   "post": {
    "tags": [
     "Licenses"
    ],
    "operationId": "createLicense",
    "summary": "Create a license",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/LicenseDraft"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/License"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    },
    "description": "Issues a license and signs its key with the account's current signing key."
   },
   "get": {
    "tags": [
     "Licenses"
    ],
    "operationId": "listLicenses",
    "summary": "List licenses",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "customerId",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "productId",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "policyId",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "status",
      "in": "query",
      "schema": {
       "type": "string",
       "enum": [
        "active",
        "suspended",
        "expired",
        "revoked"
       ]
      }
     },
     {
      "name": "expiringBefore",
      "in": "query",
      "schema": {
       "type": "string",
       "format": "date"
      },
      "description": "ISO 8601 date or time."
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/License"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/licenses/validate": {
   "post": {
    "tags": [
     "Validation"
    ],
    "operationId": "validateLicense",
    "summary": "Validate a license key (no API token: the key is the credential)",
    "description": "Always 200 for a readable request: `valid` and `code` give the verdict, `reasons` every failing check. The body is signed: verify `Tollgate-Signature` with the key it names in /.well-known/jwks.json and check the echoed nonce.",
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ValidationRequest"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/ValidationResponse"
        }
       }
      },
      "headers": {
       "Tollgate-Signature": {
        "description": "keyid=\"\u2026\", algorithm=\"ed25519\", signature=\"<base64 Ed25519 over the exact body bytes>\"",
        "schema": {
         "type": "string"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/licenses/{id}": {
   "get": {
    "tags": [
     "Licenses"
    ],
    "operationId": "getLicense",
    "summary": "Show a license",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/License"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "patch": {
    "tags": [
     "Licenses"
    ],
    "operationId": "updateLicense",
    "summary": "Update a license (JSON Merge Patch: null removes a field)",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/LicenseUpdate"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/License"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/licenses/{id}/actions/{action}": {
   "post": {
    "tags": [
     "Licenses"
    ],
    "operationId": "licenseAction",
    "summary": "Suspend, reinstate, renew, revoke or change the policy of a license",
    "description": "An action the license's status forbids answers 409 with LICENSE_ALREADY_SUSPENDED, LICENSE_NOT_SUSPENDED, LICENSE_REVOKED, LICENSE_PERPETUAL or POLICY_UNCHANGED. change-policy takes {policyId}; the others take no body.",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "action",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "enum": [
        "suspend",
        "reinstate",
        "renew",
        "revoke",
        "change-policy"
       ]
      }
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": false,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ChangePolicy"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/License"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "409": {
      "description": "The object's state forbids this",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/licenses/{id}/validations": {
   "get": {
    "tags": [
     "Licenses"
    ],
    "operationId": "listValidations",
    "summary": "The license's validation log, newest first",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/ValidationEvent"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/policies": {
   "post": {
    "tags": [
     "Policies"
    ],
    "operationId": "createPolicy",
    "summary": "Create a policy",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/PolicyDraft"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Policy"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "get": {
    "tags": [
     "Policies"
    ],
    "operationId": "listPolicys",
    "summary": "List policies",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     },
     {
      "name": "productId",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Policy"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/policies/presets/{preset}": {
   "post": {
    "tags": [
     "Policies"
    ],
    "operationId": "applyPreset",
    "summary": "Create a seed tier (community, professional, enterprise) for a product",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "preset",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string",
       "enum": [
        "community",
        "professional",
        "enterprise"
       ]
      }
     },
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "type": "object",
        "additionalProperties": false,
        "required": [
         "productId"
        ],
        "properties": {
         "productId": {
          "type": "string"
         }
        }
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Policy"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/policies/{id}": {
   "get": {
    "tags": [
     "Policies"
    ],
    "operationId": "getPolicy",
    "summary": "Show a policy",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Policy"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "patch": {
    "tags": [
     "Policies"
    ],
    "operationId": "updatePolicy",
    "summary": "Update a policy (JSON Merge Patch: null removes a field)",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/PolicyDraft"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Policy"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/products": {
   "post": {
    "tags": [
     "Products"
    ],
    "operationId": "createProduct",
    "summary": "Create a product",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "Idempotency-Key",
      "in": "header",
      "required": false,
      "schema": {
       "type": "string",
       "maxLength": 255
      },
      "description": "Retries with the same key and body get the first response (header Idempotent-Replayed: true); the same key with another body answers 422 IDEMPOTENCY_KEY_REUSED."
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ProductDraft"
       }
      }
     }
    },
    "responses": {
     "201": {
      "description": "Created",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Product"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "get": {
    "tags": [
     "Products"
    ],
    "operationId": "listProducts",
    "summary": "List products",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "limit",
      "in": "query",
      "schema": {
       "type": "integer",
       "minimum": 1,
       "maximum": 100,
       "default": 25
      }
     },
     {
      "name": "cursor",
      "in": "query",
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "type": "object",
         "required": [
          "data",
          "nextCursor"
         ],
         "properties": {
          "data": {
           "type": "array",
           "items": {
            "$ref": "#/components/schemas/Product"
           }
          },
          "nextCursor": {
           "type": [
            "string",
            "null"
           ],
           "description": "Pass as `cursor` for the next page; null on the last page."
          }
         }
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  },
  "/v1/products/{id}": {
   "get": {
    "tags": [
     "Products"
    ],
    "operationId": "getProduct",
    "summary": "Show a product",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Product"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   },
   "patch": {
    "tags": [
     "Products"
    ],
    "operationId": "updateProduct",
    "summary": "Update a product (JSON Merge Patch: null removes a field)",
    "security": [
     {
      "bearer": []
     }
    ],
    "parameters": [
     {
      "name": "id",
      "in": "path",
      "required": true,
      "schema": {
       "type": "string"
      }
     }
    ],
    "requestBody": {
     "required": true,
     "content": {
      "application/json": {
       "schema": {
        "$ref": "#/components/schemas/ProductDraft"
       }
      }
     }
    },
    "responses": {
     "200": {
      "description": "OK",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Product"
        }
       }
      }
     },
     "400": {
      "description": "Malformed JSON or query parameter",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "401": {
      "description": "Missing or invalid API token",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "403": {
      "description": "Read-only token used for a change",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "413": {
      "description": "Body larger than the limit",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "422": {
      "description": "A field is missing, of the wrong type, unknown or out of range",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "503": {
      "description": "The database is unavailable; retry after Retry-After seconds",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     },
     "404": {
      "description": "Not found in this account",
      "content": {
       "application/json": {
        "schema": {
         "$ref": "#/components/schemas/Error"
        }
       }
      }
     }
    }
   }
  }
 }
}
"""#
}
