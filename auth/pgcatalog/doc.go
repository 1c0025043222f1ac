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
// postgresql-default-max-* properties are not read). A process that
// dies without releasing leaves its rows open; the operator must close them.
//
// Freshness: every call queries the database, or reuses a per-identity
// answer for at most Config.CacheTTL (≤ 2 s). When the database is down calls
// fail with catalog.ErrUnavailable after at most Config.QueryTimeout.
package pgcatalog
