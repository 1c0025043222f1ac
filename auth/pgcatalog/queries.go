package pgcatalog

// SQL used by the catalog. Every value comes in as a parameter; nothing is
// spliced into these strings.

// sqlUser finds the account behind a username ($1).
const sqlUser = `
SELECT u.user_id, e.entity_id, u.disabled, u.valid_from, u.valid_until,
       u.access_window_start, u.access_window_end, COALESCE(u.timezone, '')
  FROM guacamole_entity e
  JOIN guacamole_user u ON u.entity_id = e.entity_id
 WHERE e.type = 'USER' AND e.name = $1`

// sqlEffective returns the entities whose permissions apply to a user
// entity ($1, NULL for users not in the database) with identity group names
// ($2): enabled groups reached through membership, transitively, plus
// enabled groups named by the identity and their enabled parents. The
// disabled checks sit inside the recursion so a disabled group also cuts off
// the groups above it. The second column says whether any of them holds
// ADMINISTER.
const sqlEffective = `
WITH RECURSIVE eff(entity_id) AS (
    SELECT ug.entity_id
      FROM guacamole_user_group_member m
      JOIN guacamole_user_group ug ON ug.user_group_id = m.user_group_id
     WHERE m.member_entity_id = $1::integer AND NOT ug.disabled
    UNION
    SELECT ug.entity_id
      FROM guacamole_entity e
      JOIN guacamole_user_group ug ON ug.entity_id = e.entity_id
     WHERE e.type = 'USER_GROUP' AND e.name = ANY($2::text[]) AND NOT ug.disabled
    UNION
    SELECT ug.entity_id
      FROM eff
      JOIN guacamole_user_group_member m ON m.member_entity_id = eff.entity_id
      JOIN guacamole_user_group ug ON ug.user_group_id = m.user_group_id
     WHERE NOT ug.disabled
)
SELECT ARRAY(SELECT entity_id FROM eff ORDER BY entity_id),
       EXISTS (SELECT 1 FROM guacamole_system_permission sp
                WHERE sp.permission = 'ADMINISTER'
                  AND (sp.entity_id = $1::integer OR sp.entity_id IN (SELECT entity_id FROM eff)))`

// The view queries below take the effective entities ($1) and whether they
// are administrators ($2).

// readableConnection is the READ test on a connection c.connection_id.
const readableConnection = `($2::boolean OR EXISTS (
    SELECT 1 FROM guacamole_connection_permission p
     WHERE p.connection_id = c.connection_id AND p.permission = 'READ'
       AND p.entity_id = ANY($1::integer[])))`

const sqlGroups = `
SELECT g.connection_group_id, COALESCE(g.parent_id, 0), g.connection_group_name,
       g.type = 'BALANCING',
       $2::boolean OR EXISTS (
           SELECT 1 FROM guacamole_connection_group_permission p
            WHERE p.connection_group_id = g.connection_group_id AND p.permission = 'READ'
              AND p.entity_id = ANY($1::integer[]))
  FROM guacamole_connection_group g`

const sqlConnections = `
SELECT c.connection_id, COALESCE(c.parent_id, 0), c.connection_name, c.protocol,
       COALESCE(c.proxy_hostname, ''), COALESCE(c.proxy_port, 0),
       COALESCE(c.max_connections, 0), c.failover_only
  FROM guacamole_connection c
 WHERE ` + readableConnection

const sqlParams = `
SELECT c.connection_id, p.parameter_name, p.parameter_value
  FROM guacamole_connection_parameter p
  JOIN guacamole_connection c ON c.connection_id = p.connection_id
 WHERE ` + readableConnection

// readableProfile is the READ test on a sharing profile s and its connection.
const readableProfile = readableConnection + ` AND ($2::boolean OR EXISTS (
    SELECT 1 FROM guacamole_sharing_profile_permission sp
     WHERE sp.sharing_profile_id = s.sharing_profile_id AND sp.permission = 'READ'
       AND sp.entity_id = ANY($1::integer[])))`

const sqlProfiles = `
SELECT s.sharing_profile_id, s.primary_connection_id, s.sharing_profile_name
  FROM guacamole_sharing_profile s
  JOIN guacamole_connection c ON c.connection_id = s.primary_connection_id
 WHERE ` + readableProfile

const sqlProfileParams = `
SELECT s.sharing_profile_id, pp.parameter_name, pp.parameter_value
  FROM guacamole_sharing_profile_parameter pp
  JOIN guacamole_sharing_profile s ON s.sharing_profile_id = pp.sharing_profile_id
  JOIN guacamole_connection c ON c.connection_id = s.primary_connection_id
 WHERE ` + readableProfile

// sqlExists tells ErrNotFound from ErrForbidden for a connection ($1) or a
// connection group ($2) the identity may not open.
const sqlConnectionExists = `SELECT EXISTS (SELECT 1 FROM guacamole_connection WHERE connection_id = $1)`

const sqlGroupExists = `SELECT EXISTS (SELECT 1 FROM guacamole_connection_group WHERE connection_group_id = $1)`

// sqlActive counts open sessions per connection among $1.
const sqlActive = `
SELECT connection_id, count(*)
  FROM guacamole_connection_history
 WHERE end_date IS NULL AND connection_id = ANY($1::integer[])
 GROUP BY connection_id`

// Tracker queries. Lock order is always group row, then connection row, so
// two instances acquiring children of one balancing group cannot deadlock.

// sqlParent returns a connection's parent group if that group is BALANCING,
// else 0: only balancing groups have limits, so only they are locked, and
// sessions in one organizational folder do not queue behind each other.
const sqlParent = `
SELECT COALESCE(g.connection_group_id, 0)
  FROM guacamole_connection c
  LEFT JOIN guacamole_connection_group g
         ON g.connection_group_id = c.parent_id AND g.type = 'BALANCING'
 WHERE c.connection_id = $1`

const sqlLockGroup = `
SELECT type = 'BALANCING', COALESCE(max_connections, 0), COALESCE(max_connections_per_user, 0)
  FROM guacamole_connection_group WHERE connection_group_id = $1 FOR UPDATE`

const sqlLockConnection = `
SELECT connection_name, COALESCE(max_connections, 0), COALESCE(max_connections_per_user, 0)
  FROM guacamole_connection WHERE connection_id = $1 FOR UPDATE`

// sqlActiveConnection counts open sessions on connection $1: all, and those
// of username $2.
const sqlActiveConnection = `
SELECT count(*), count(*) FILTER (WHERE username = $2)
  FROM guacamole_connection_history
 WHERE connection_id = $1 AND end_date IS NULL`

// sqlActiveGroup counts open sessions on the children of group $1.
const sqlActiveGroup = `
SELECT count(*), count(*) FILTER (WHERE h.username = $2)
  FROM guacamole_connection_history h
  JOIN guacamole_connection c ON c.connection_id = h.connection_id
 WHERE c.parent_id = $1 AND h.end_date IS NULL`

// sqlStart opens a history row the way the stock web app does: user_id is
// looked up by name and stays NULL for users not in the database.
const sqlStart = `
INSERT INTO guacamole_connection_history
       (user_id, username, remote_host, connection_id, connection_name, start_date)
VALUES ((SELECT u.user_id FROM guacamole_user u
           JOIN guacamole_entity e ON e.entity_id = u.entity_id
          WHERE e.type = 'USER' AND e.name = $1),
        $1, NULLIF($2, ''), $3, $4, $5)
RETURNING history_id`

// sqlEnd closes a history row; GREATEST keeps end ≥ start if clocks of
// goguacd instances disagree.
const sqlEnd = `
UPDATE guacamole_connection_history
   SET end_date = GREATEST(start_date, $2)
 WHERE history_id = $1 AND end_date IS NULL`

// Crash cleanup (instance.go). goguacd's own tables sit next to the stock
// schema; the stock web app never reads them. A history row is tracked from
// the transaction that opens it until the one that closes it, and the
// instance row cascades to its tracked rows, so removing a dead instance
// forgets everything it had open.

// setupLockKey serializes table creation across replicas starting at once:
// concurrent CREATE TABLE IF NOT EXISTS can fail on PostgreSQL's catalog
// unique indexes. It is "goguacd" in ASCII.
const setupLockKey int64 = 0x676f6775616364

const sqlSetupLock = `SELECT pg_advisory_xact_lock($1)`

const sqlTablesExist = `
SELECT to_regclass('goguacd_instance') IS NOT NULL AND to_regclass('goguacd_open_history') IS NOT NULL`

// sqlCreateTables are run in order when sqlTablesExist is false.
var sqlCreateTables = []string{`
CREATE TABLE IF NOT EXISTS goguacd_instance (
    instance_id text        NOT NULL PRIMARY KEY,
    name        text        NOT NULL,
    started     timestamptz NOT NULL DEFAULT now(),
    heartbeat   timestamptz NOT NULL DEFAULT now()
)`, `
CREATE TABLE IF NOT EXISTS goguacd_open_history (
    history_id  integer NOT NULL PRIMARY KEY
                REFERENCES guacamole_connection_history (history_id) ON DELETE CASCADE,
    instance_id text    NOT NULL
                REFERENCES goguacd_instance (instance_id) ON DELETE CASCADE
)`,
	`CREATE INDEX IF NOT EXISTS goguacd_open_history_instance ON goguacd_open_history (instance_id)`,
}

// sqlRegister adds instance $1 named $2 with a fresh heartbeat. It does
// nothing if the row exists, so it also serves to re-register an instance
// another replica presumed dead.
const sqlRegister = `
INSERT INTO goguacd_instance (instance_id, name) VALUES ($1, $2)
ON CONFLICT (instance_id) DO NOTHING`

// sqlHeartbeat stamps instance $1 with the database's clock, so replicas'
// clock skew never matters, and counts other instances of its name that beat
// since it started: live replicas sharing its name, a misconfiguration. No
// row means another replica presumed it dead and removed it.
const sqlHeartbeat = `
UPDATE goguacd_instance me SET heartbeat = now()
 WHERE me.instance_id = $1
RETURNING (SELECT count(*) FROM goguacd_instance o
            WHERE o.name = me.name AND o.instance_id <> me.instance_id AND o.heartbeat > me.started)`

// Reaping and retiring lock the instance rows in one statement and change
// them in a later one of the same transaction: under READ COMMITTED the later
// statement's snapshot then holds every tracked row committed before the lock,
// and the lock (conflicting with the foreign key check of sqlTrack) keeps new
// ones out, so the cascade never removes a record of a row left open.

// sqlLockDead locks the dead instances other than $1: those silent for more
// than $2 µs, and those named $3 (a predecessor of this process) silent for
// more than $4 µs. SKIP LOCKED makes replicas reaping at the same time split
// the work instead of waiting on or repeating each other; a row a concurrent
// reaper already deleted is not returned at all.
const sqlLockDead = `
SELECT instance_id, name, heartbeat
  FROM goguacd_instance
 WHERE instance_id <> $1
   AND (heartbeat < now() - $2::bigint * interval '1 microsecond'
        OR (name = $3 AND heartbeat < now() - $4::bigint * interval '1 microsecond'))
   FOR UPDATE SKIP LOCKED`

// sqlBury closes the open history rows of the locked dead instances $1,
// each at its instance's last heartbeat $2 (the last moment its sessions
// were known to run) but never before it started, and removes the instances;
// their records go with them through ON DELETE CASCADE. It returns the
// closed rows per instance.
const sqlBury = `
WITH dead AS (
    SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS d(instance_id, heartbeat)
), closed AS (
    UPDATE guacamole_connection_history h
       SET end_date = GREATEST(h.start_date, d.heartbeat)
      FROM goguacd_open_history o
      JOIN dead d ON d.instance_id = o.instance_id
     WHERE h.history_id = o.history_id AND h.end_date IS NULL
    RETURNING o.instance_id
), gone AS (
    DELETE FROM goguacd_instance WHERE instance_id = ANY($1::text[])
)
SELECT instance_id, count(*) FROM closed GROUP BY instance_id`

// sqlTrack records that instance $2 (named $3) holds history row $1. The
// instance row is re-created if another replica removed it, so a replica
// wrongly presumed dead keeps working.
const sqlTrack = `
WITH me AS (
    INSERT INTO goguacd_instance (instance_id, name) VALUES ($2, $3)
    ON CONFLICT (instance_id) DO NOTHING
)
INSERT INTO goguacd_open_history (history_id, instance_id) VALUES ($1, $2)`

// sqlEndTracked is sqlEnd for a tracked row, forgetting it in the same
// statement.
const sqlEndTracked = `
WITH untrack AS (
    DELETE FROM goguacd_open_history WHERE history_id = $1
)
UPDATE guacamole_connection_history
   SET end_date = GREATEST(start_date, $2)
 WHERE history_id = $1 AND end_date IS NULL`

// sqlLockSelf locks instance $1 before sqlRetire.
const sqlLockSelf = `SELECT 1 FROM goguacd_instance WHERE instance_id = $1 FOR UPDATE`

// sqlRetire closes the rows instance $1 still has open at shutdown and
// removes it.
const sqlRetire = `
WITH closed AS (
    UPDATE guacamole_connection_history h
       SET end_date = GREATEST(h.start_date, now())
      FROM goguacd_open_history o
     WHERE o.instance_id = $1 AND h.history_id = o.history_id AND h.end_date IS NULL
    RETURNING h.history_id
), gone AS (
    DELETE FROM goguacd_instance WHERE instance_id = $1
)
SELECT count(*) FROM closed`
