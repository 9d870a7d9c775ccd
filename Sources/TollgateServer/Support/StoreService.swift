import ServiceLifecycle
import TollgateStore

/// The store's part in the server's lifetime. While the server runs it keeps this replica's
/// caches in step with the others: it follows the commits of other replicas' writes
/// (``Store/followChanges()``, PostgreSQL `LISTEN/NOTIFY`) and drops cached license and machine
/// state on each, so a suspension through one replica is refused by the others as soon as the
/// notification arrives (the caches' 2 s lifetime stays as the bound should one be lost; a dropped
/// connection is followed again after 1 s). When another replica's write changed the signing keys,
/// it has ``KeyService`` reread them at once. At shutdown it closes the store.
///
/// It comes right after the database's own service (PostgreSQL's pool) among the server's
/// services, so graceful shutdown reaches it after the HTTP server has finished its requests and
/// the batch writer has written its last batch, and before the pool stops.
struct StoreService: Service {
    let store: Store
    let keys: KeyService

    func run() async throws {
        let keys = self.keys
        await cancelWhenGracefulShutdown { await store.followChanges(keysChanged: { Task { await keys.reload() } }) }
        // On SQLite there is nothing to follow: stay until shutdown, as a service must.
        try? await gracefulShutdown()
        try? await store.database.close()
    }
}
