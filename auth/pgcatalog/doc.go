// Package pgcatalog reads an existing Guacamole PostgreSQL database (the
// guacamole-auth-jdbc schema, 1.x) as a catalog.Catalog and catalog.Tracker,
// with no migration: operators keep managing users, groups and connections in
// the stock web app, and goguacd's sessions show up in its history.
//
// Who may open what follows guacamole-auth-jdbc:
//
//   - An identity is the USER entity whose name equals Identity.Username
//     (case-sensitive, like JDBC's default). Disabled users, users outside
//     valid_from/valid_until, and users outside their access window are
//     refused; dates and times are read in the user's timezone column, or the
//     server's local zone when it is NULL or unknown. The expired column (a
//     password that must be changed) is ignored: goguacd never sees passwords.
//   - A user not in the database is refused when Config.RequireUser is true
//     (the default). Otherwise it gets only what its identity groups grant.
//   - Groups: USER_GROUP entities the user belongs to, transitively, counting
//     only enabled groups at every step, so a disabled group grants nothing
//     to its members, neither directly nor through the groups it belongs to.
//     Identity.Groups (verified proxy claims) are unioned in by group name,
//     the way JDBC unions groups asserted by LDAP/SSO extensions; their parent
//     groups are followed too. Only trusted authenticators may fill Groups.
//   - READ on a connection (guacamole_connection_permission) for the user or
//     any effective group lets the user open it; the system permission
//     ADMINISTER opens everything. Sharing profiles are listed when READ is
//     granted the same way on guacamole_sharing_profile_permission.
//
// Identifiers: a connection's ID is its decimal connection_id, the same value
// the stock web app sends as GUAC_ID. A BALANCING connection group is listed
// with ID "g:<connection_group_id>"; Get resolves it to its least-used child
// (fewest history rows with end_date NULL) among the children the user may
// read, preferring children below max_connections and not failover_only, and
// returns that child's Connection (with the child's own ID).
//
// Limits: Acquire enforces max_connections and max_connections_per_user of
// the connection and, when its parent is a BALANCING group, the group's
// limits over all its children. Active sessions are the history rows with
// end_date NULL, counted under row locks (SELECT … FOR UPDATE on the group,
// then the connection), so several goguacd instances sharing one database
// cannot both take the last slot. NULL limits mean unlimited (JDBC's
// postgresql-default-max-* properties are not read).
//
// Crash cleanup: a goguacd killed without releasing (SIGKILL, a lost node)
// would leave its history rows open forever, wrong in the web app's history
// and counted as active sessions against the limits above. So each Catalog
// registers itself in goguacd's own two tables, created next to the stock
// schema on first use (CREATE TABLE IF NOT EXISTS; the stock web app never
// reads them, and dropping them loses nothing but this bookkeeping):
//
//   - goguacd_instance(instance_id, name, started, heartbeat): one row per
//     running Catalog, under a random id per process start and the readable
//     Config.Instance (default "<hostname>/<pid>"). The heartbeat is stamped
//     every Config.Heartbeat (10 s) with the database's clock, now(), so the
//     replicas' clocks never matter.
//   - goguacd_open_history(history_id, instance_id): the history rows each
//     instance has open, inserted in the transaction that opens the row and
//     deleted in the statement that closes it.
//
// Every heartbeat also reaps: an instance silent for longer than
// Config.HeartbeatGrace (3×Heartbeat) is dead, and its open rows get end_date
// = its last heartbeat (never before their start_date) while its records are
// deleted, in one transaction that locks the dead rows with SKIP LOCKED, so
// replicas reaping at once split the work and never close a row twice. An
// instance silent for 1.5×Heartbeat whose name is this process's own is
// taken for its crashed predecessor and reaped then, without waiting for the
// grace, so Instance must differ between running replicas (a StatefulSet pod
// name or the advertise address serve well; a live namesake is logged).
// Close closes the rows the instance still has open and deletes its records.
// A replica cut off from the database for longer than the grace is presumed
// dead: its running sessions' rows are closed early; it logs this and
// re-registers when it is back.
//
// The database user needs CREATE on the schema and REFERENCES on
// guacamole_connection_history to create the tables, or an administrator
// creates them (sqlCreateTables in queries.go) and grants SELECT, INSERT,
// UPDATE, DELETE on both. Without that, goguacd logs one warning naming the
// tables and runs without crash cleanup; everything else works, and rows of
// a killed process stay open until an operator closes them. Set
// Config.Heartbeat negative to disable crash cleanup outright.
//
// Freshness: every call queries the database, or reuses a per-identity
// answer for at most Config.CacheTTL (≤ 2 s). When the database is down calls
// fail with catalog.ErrUnavailable after at most Config.QueryTimeout.
package pgcatalog
