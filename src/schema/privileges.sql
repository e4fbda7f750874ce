-- The privileges granted on the objects of a snapshot, one row per (object, privilege,
-- grantee), defaults included (`acldefault` when an object's ACL is NULL), the owner's own
-- left out (owners differ between databases built by the same DDL).
--
-- $1 (text[]): the schemas to read; empty for every schema but PostgreSQL's own.
-- $2 (text[]): names of tables and functions to leave out (pelican's history objects).
--
-- Columns: kind (schema, table, sequence, routine, type), schema, name, identity arguments
-- (routines), privilege, grantee (NULL for PUBLIC), grantable.
WITH selected AS (
    SELECT n.oid, n.nspname, n.nspowner, n.nspacl
    FROM pg_catalog.pg_namespace n
    WHERE CASE
        WHEN cardinality($1::text[]) = 0
            THEN n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
        ELSE n.nspname = ANY ($1::text[])
    END
),
members AS (
    SELECT d.classid, d.objid FROM pg_catalog.pg_depend d WHERE d.deptype IN ('e', 'i')
),
objects AS (
    SELECT 'schema' AS kind, s.nspname AS schema, NULL::text AS name, NULL::text AS arguments,
           s.nspowner AS owner, coalesce(s.nspacl, pg_catalog.acldefault('n'::"char", s.nspowner)) AS acl
    FROM selected s
    UNION ALL
    SELECT CASE c.relkind WHEN 'S' THEN 'sequence' ELSE 'table' END, s.nspname, c.relname, NULL,
           c.relowner,
           coalesce(c.relacl, pg_catalog.acldefault((CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END)::"char", c.relowner))
    FROM pg_catalog.pg_class c
    JOIN selected s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
      AND NOT (c.relname = ANY ($2::text[]))
      AND NOT EXISTS (SELECT 1 FROM members m
                      WHERE m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid)
    UNION ALL
    SELECT 'routine', s.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
           p.proowner, coalesce(p.proacl, pg_catalog.acldefault('f'::"char", p.proowner))
    FROM pg_catalog.pg_proc p
    JOIN selected s ON s.oid = p.pronamespace
    WHERE NOT (p.proname = ANY ($2::text[]))
      AND NOT EXISTS (SELECT 1 FROM members m
                      WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid)
    UNION ALL
    SELECT 'type', s.nspname, t.typname, NULL,
           t.typowner, coalesce(t.typacl, pg_catalog.acldefault('T'::"char", t.typowner))
    FROM pg_catalog.pg_type t
    JOIN selected s ON s.oid = t.typnamespace
    WHERE (t.typtype IN ('e', 'd', 'r')
           OR (t.typtype = 'c' AND EXISTS (SELECT 1 FROM pg_catalog.pg_class c
                                          WHERE c.oid = t.typrelid AND c.relkind = 'c')))
      AND NOT EXISTS (SELECT 1 FROM members m
                      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid)
)
SELECT o.kind, o.schema, o.name, o.arguments, a.privilege_type,
       CASE WHEN a.grantee = 0 THEN NULL ELSE pg_catalog.pg_get_userbyid(a.grantee) END,
       a.is_grantable
FROM objects o, pg_catalog.aclexplode(o.acl) a
WHERE a.grantee <> o.owner
