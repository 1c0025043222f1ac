-- Test schema for pgcatalog: the guacamole-auth-jdbc PostgreSQL schema as of
-- Guacamole 1.6.0, written for goguacd from the documented tables, columns
-- and constraints (see shared/reference/client-tunnel-auth.md §4). It exists
-- so integration tests run against the same shape an operator's database has.

CREATE TYPE guacamole_connection_group_type AS ENUM ('ORGANIZATIONAL', 'BALANCING');
CREATE TYPE guacamole_entity_type AS ENUM ('USER', 'USER_GROUP');
CREATE TYPE guacamole_object_permission_type AS ENUM ('READ', 'UPDATE', 'DELETE', 'ADMINISTER');
CREATE TYPE guacamole_system_permission_type AS ENUM (
    'CREATE_CONNECTION', 'CREATE_CONNECTION_GROUP', 'CREATE_SHARING_PROFILE',
    'CREATE_USER', 'CREATE_USER_GROUP', 'AUDIT', 'ADMINISTER');
CREATE TYPE guacamole_proxy_encryption_method AS ENUM ('NONE', 'SSL');

CREATE TABLE guacamole_connection_group (
    connection_group_id      serial       NOT NULL PRIMARY KEY,
    parent_id                integer      REFERENCES guacamole_connection_group (connection_group_id) ON DELETE CASCADE,
    connection_group_name    varchar(128) NOT NULL,
    type                     guacamole_connection_group_type NOT NULL DEFAULT 'ORGANIZATIONAL',
    max_connections          integer,
    max_connections_per_user integer,
    enable_session_affinity  boolean      NOT NULL DEFAULT FALSE,
    UNIQUE (connection_group_name, parent_id)
);
CREATE INDEX ON guacamole_connection_group (parent_id);

CREATE TABLE guacamole_connection (
    connection_id            serial       NOT NULL PRIMARY KEY,
    connection_name          varchar(128) NOT NULL,
    parent_id                integer      REFERENCES guacamole_connection_group (connection_group_id) ON DELETE CASCADE,
    protocol                 varchar(32)  NOT NULL,
    proxy_port               integer,
    proxy_hostname           varchar(512),
    proxy_encryption_method  guacamole_proxy_encryption_method,
    max_connections          integer,
    max_connections_per_user integer,
    connection_weight        integer,
    failover_only            boolean      NOT NULL DEFAULT FALSE,
    UNIQUE (connection_name, parent_id)
);
CREATE INDEX ON guacamole_connection (parent_id);

CREATE TABLE guacamole_entity (
    entity_id serial                NOT NULL PRIMARY KEY,
    name      varchar(128)          NOT NULL,
    type      guacamole_entity_type NOT NULL,
    UNIQUE (type, name)
);

CREATE TABLE guacamole_user (
    user_id             serial       NOT NULL PRIMARY KEY,
    entity_id           integer      NOT NULL UNIQUE REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    password_hash       bytea        NOT NULL,
    password_salt       bytea,
    password_date       timestamptz  NOT NULL,
    disabled            boolean      NOT NULL DEFAULT FALSE,
    expired             boolean      NOT NULL DEFAULT FALSE,
    access_window_start time,
    access_window_end   time,
    valid_from          date,
    valid_until         date,
    timezone            varchar(64),
    full_name           varchar(256),
    email_address       varchar(256),
    organization        varchar(256),
    organizational_role varchar(256)
);

CREATE TABLE guacamole_user_group (
    user_group_id serial  NOT NULL PRIMARY KEY,
    entity_id     integer NOT NULL UNIQUE REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    disabled      boolean NOT NULL DEFAULT FALSE
);

CREATE TABLE guacamole_user_group_member (
    user_group_id    integer NOT NULL REFERENCES guacamole_user_group (user_group_id) ON DELETE CASCADE,
    member_entity_id integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    PRIMARY KEY (user_group_id, member_entity_id)
);

CREATE TABLE guacamole_sharing_profile (
    sharing_profile_id    serial       NOT NULL PRIMARY KEY,
    sharing_profile_name  varchar(128) NOT NULL,
    primary_connection_id integer      NOT NULL REFERENCES guacamole_connection (connection_id) ON DELETE CASCADE,
    UNIQUE (sharing_profile_name, primary_connection_id)
);

CREATE TABLE guacamole_connection_parameter (
    connection_id   integer       NOT NULL REFERENCES guacamole_connection (connection_id) ON DELETE CASCADE,
    parameter_name  varchar(128)  NOT NULL,
    parameter_value varchar(4096) NOT NULL,
    PRIMARY KEY (connection_id, parameter_name)
);

CREATE TABLE guacamole_sharing_profile_parameter (
    sharing_profile_id integer       NOT NULL REFERENCES guacamole_sharing_profile (sharing_profile_id) ON DELETE CASCADE,
    parameter_name     varchar(128)  NOT NULL,
    parameter_value    varchar(4096) NOT NULL,
    PRIMARY KEY (sharing_profile_id, parameter_name)
);

CREATE TABLE guacamole_user_attribute (
    user_id         integer       NOT NULL REFERENCES guacamole_user (user_id) ON DELETE CASCADE,
    attribute_name  varchar(128)  NOT NULL,
    attribute_value varchar(4096) NOT NULL,
    PRIMARY KEY (user_id, attribute_name)
);

CREATE TABLE guacamole_user_group_attribute (
    user_group_id   integer       NOT NULL REFERENCES guacamole_user_group (user_group_id) ON DELETE CASCADE,
    attribute_name  varchar(128)  NOT NULL,
    attribute_value varchar(4096) NOT NULL,
    PRIMARY KEY (user_group_id, attribute_name)
);

CREATE TABLE guacamole_connection_attribute (
    connection_id   integer       NOT NULL REFERENCES guacamole_connection (connection_id) ON DELETE CASCADE,
    attribute_name  varchar(128)  NOT NULL,
    attribute_value varchar(4096) NOT NULL,
    PRIMARY KEY (connection_id, attribute_name)
);

CREATE TABLE guacamole_connection_group_attribute (
    connection_group_id integer       NOT NULL REFERENCES guacamole_connection_group (connection_group_id) ON DELETE CASCADE,
    attribute_name      varchar(128)  NOT NULL,
    attribute_value     varchar(4096) NOT NULL,
    PRIMARY KEY (connection_group_id, attribute_name)
);

CREATE TABLE guacamole_sharing_profile_attribute (
    sharing_profile_id integer       NOT NULL REFERENCES guacamole_sharing_profile (sharing_profile_id) ON DELETE CASCADE,
    attribute_name     varchar(128)  NOT NULL,
    attribute_value    varchar(4096) NOT NULL,
    PRIMARY KEY (sharing_profile_id, attribute_name)
);

CREATE TABLE guacamole_connection_permission (
    entity_id     integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    connection_id integer NOT NULL REFERENCES guacamole_connection (connection_id) ON DELETE CASCADE,
    permission    guacamole_object_permission_type NOT NULL,
    PRIMARY KEY (entity_id, connection_id, permission)
);

CREATE TABLE guacamole_connection_group_permission (
    entity_id           integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    connection_group_id integer NOT NULL REFERENCES guacamole_connection_group (connection_group_id) ON DELETE CASCADE,
    permission          guacamole_object_permission_type NOT NULL,
    PRIMARY KEY (entity_id, connection_group_id, permission)
);

CREATE TABLE guacamole_sharing_profile_permission (
    entity_id          integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    sharing_profile_id integer NOT NULL REFERENCES guacamole_sharing_profile (sharing_profile_id) ON DELETE CASCADE,
    permission         guacamole_object_permission_type NOT NULL,
    PRIMARY KEY (entity_id, sharing_profile_id, permission)
);

CREATE TABLE guacamole_system_permission (
    entity_id  integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    permission guacamole_system_permission_type NOT NULL,
    PRIMARY KEY (entity_id, permission)
);

CREATE TABLE guacamole_user_permission (
    entity_id        integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    affected_user_id integer NOT NULL REFERENCES guacamole_user (user_id) ON DELETE CASCADE,
    permission       guacamole_object_permission_type NOT NULL,
    PRIMARY KEY (entity_id, affected_user_id, permission)
);

CREATE TABLE guacamole_user_group_permission (
    entity_id              integer NOT NULL REFERENCES guacamole_entity (entity_id) ON DELETE CASCADE,
    affected_user_group_id integer NOT NULL REFERENCES guacamole_user_group (user_group_id) ON DELETE CASCADE,
    permission             guacamole_object_permission_type NOT NULL,
    PRIMARY KEY (entity_id, affected_user_group_id, permission)
);

CREATE TABLE guacamole_connection_history (
    history_id           serial       NOT NULL PRIMARY KEY,
    user_id              integer      REFERENCES guacamole_user (user_id) ON DELETE SET NULL,
    username             varchar(128) NOT NULL,
    remote_host          varchar(256),
    connection_id        integer      REFERENCES guacamole_connection (connection_id) ON DELETE SET NULL,
    connection_name      varchar(128) NOT NULL,
    sharing_profile_id   integer      REFERENCES guacamole_sharing_profile (sharing_profile_id) ON DELETE SET NULL,
    sharing_profile_name varchar(128),
    start_date           timestamptz  NOT NULL,
    end_date             timestamptz
);
CREATE INDEX ON guacamole_connection_history (user_id);
CREATE INDEX ON guacamole_connection_history (connection_id);
CREATE INDEX ON guacamole_connection_history (sharing_profile_id);
CREATE INDEX ON guacamole_connection_history (start_date);
CREATE INDEX ON guacamole_connection_history (end_date);
CREATE INDEX ON guacamole_connection_history (connection_id, start_date);

CREATE TABLE guacamole_user_history (
    history_id  serial       NOT NULL PRIMARY KEY,
    user_id     integer      REFERENCES guacamole_user (user_id) ON DELETE SET NULL,
    username    varchar(128) NOT NULL,
    remote_host varchar(256),
    start_date  timestamptz  NOT NULL,
    end_date    timestamptz
);
CREATE INDEX ON guacamole_user_history (user_id);
CREATE INDEX ON guacamole_user_history (start_date);
CREATE INDEX ON guacamole_user_history (end_date);

CREATE TABLE guacamole_user_password_history (
    password_history_id serial      NOT NULL PRIMARY KEY,
    user_id             integer     NOT NULL REFERENCES guacamole_user (user_id) ON DELETE CASCADE,
    password_hash       bytea       NOT NULL,
    password_salt       bytea,
    password_date       timestamptz NOT NULL
);
CREATE INDEX ON guacamole_user_password_history (user_id);
