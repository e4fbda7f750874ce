-- The schema snapshot, read from pg_catalog in one statement (so it sees one consistent
-- state of the catalog, inside or outside a transaction of the caller).
--
-- $1 (text[]): the schemas to read; empty for every schema but PostgreSQL's own.
-- $2 (text[]): names of tables and functions to leave out wherever they are (pelican's
--     history tables and their functions).
--
-- Every row is one object: `kind`, then its fields in three positional arrays (`t` text,
-- `b` booleans, `n` integers) whose layout per kind is written above each branch and read by
-- introspect.rs. Definitions come from PostgreSQL's own deparsers (pg_get_*def, format_type,
-- pg_get_expr), so they read as PostgreSQL would print them.
WITH selected AS (
    SELECT n.oid, n.nspname
    FROM pg_catalog.pg_namespace n
    WHERE CASE
        WHEN cardinality($1::text[]) = 0
            THEN n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
        ELSE n.nspname = ANY ($1::text[])
    END
),
-- Objects an extension created belong to the extension, not to the schema they live in.
extension_members AS (
    SELECT d.classid, d.objid
    FROM pg_catalog.pg_depend d
    WHERE d.deptype = 'e'
),
ignored AS (
    SELECT c.oid
    FROM pg_catalog.pg_class c
    JOIN selected s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND c.relname = ANY ($2::text[])
),
rels AS (
    SELECT c.oid, s.nspname, c.relname, c.relkind, c.relpersistence, c.reloptions,
           c.relispartition, c.relpartbound, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_catalog.pg_class c
    JOIN selected s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S')
      AND c.oid NOT IN (SELECT oid FROM ignored)
      AND NOT EXISTS (
          SELECT 1 FROM extension_members m
          WHERE m.classid = 'pg_catalog.pg_class'::regclass AND m.objid = c.oid
      )
),
-- What the 'depend' rows may name, by catalog address (classid, objid, objsubid): kind,
-- schema, name, detail (a column, a function's identity arguments, a constraint or trigger;
-- '' when none). Only the selected schemas' own objects: what belongs to PostgreSQL or to an
-- extension never appears, so a dependency on it is left out.
objects AS (
    -- Tables, views, materialized views, sequences; a view's column is its view.
    SELECT 'pg_catalog.pg_class'::regclass AS classid, r.oid AS objid, 0 AS subid,
           'relation' AS kind, r.nspname AS schema, r.relname AS name, '' AS detail
    FROM rels r
    UNION ALL
    SELECT 'pg_catalog.pg_class'::regclass, r.oid, a.attnum,
           CASE WHEN r.relkind IN ('r', 'p') THEN 'column' ELSE 'relation' END,
           r.nspname, r.relname,
           CASE WHEN r.relkind IN ('r', 'p') THEN a.attname::text ELSE '' END
    FROM rels r
    JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    -- A view's rule stands for its view.
    SELECT 'pg_catalog.pg_rewrite'::regclass, rw.oid, 0, 'relation', r.nspname, r.relname, ''
    FROM rels r
    JOIN pg_catalog.pg_rewrite rw ON rw.ev_class = r.oid
    WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'pg_catalog.pg_proc'::regclass, p.oid, 0, 'function', s.nspname, p.proname,
           pg_catalog.pg_get_function_identity_arguments(p.oid)
    FROM pg_catalog.pg_proc p
    JOIN selected s ON s.oid = p.pronamespace
    WHERE p.proname <> ALL ($2::text[])
      AND NOT EXISTS (
          SELECT 1 FROM extension_members m
          WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
      )
    UNION ALL
    -- Enum, composite, range types and domains, and the arrays of each; a table's row type
    -- is its table.
    SELECT 'pg_catalog.pg_type'::regclass, o.oid, 0,
           CASE WHEN r.oid IS NULL THEN 'type' ELSE 'relation' END,
           s.nspname, COALESCE(r.relname, t.typname), ''
    FROM pg_catalog.pg_type t
    JOIN selected s ON s.oid = t.typnamespace
    LEFT JOIN rels r ON r.oid = t.typrelid
    CROSS JOIN LATERAL (VALUES (t.oid), (t.typarray)) AS o(oid)
    WHERE o.oid <> 0
      AND (t.typtype IN ('e', 'd', 'r') OR (t.typtype = 'c' AND (r.oid IS NOT NULL OR EXISTS (
          SELECT 1 FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid AND c.relkind = 'c'
      ))))
      AND NOT EXISTS (
          SELECT 1 FROM extension_members m
          WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
      )
    UNION ALL
    SELECT 'pg_catalog.pg_attrdef'::regclass, ad.oid, 0, 'default', r.nspname, r.relname,
           a.attname::text
    FROM rels r
    JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = r.oid
    JOIN pg_catalog.pg_attribute a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum
    UNION ALL
    -- PostgreSQL 18 records each NOT NULL as a constraint too (contype 'n'), named after
    -- whichever table first had it: a snapshot has it as the column's `not_null` instead.
    SELECT 'pg_catalog.pg_constraint'::regclass, c.oid, 0, 'constraint', r.nspname, r.relname,
           c.conname::text
    FROM rels r
    JOIN pg_catalog.pg_constraint c ON c.conrelid = r.oid
    WHERE r.relkind IN ('r', 'p')
      AND c.contype <> 'n'
    UNION ALL
    -- A domain's check stands for its domain.
    SELECT 'pg_catalog.pg_constraint'::regclass, c.oid, 0, 'type', s.nspname, t.typname, ''
    FROM pg_catalog.pg_constraint c
    JOIN pg_catalog.pg_type t ON t.oid = c.contypid
    JOIN selected s ON s.oid = t.typnamespace
    WHERE t.typtype = 'd'
    UNION ALL
    SELECT 'pg_catalog.pg_trigger'::regclass, tg.oid, 0, 'trigger', r.nspname, r.relname,
           tg.tgname::text
    FROM rels r
    JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = r.oid
    WHERE NOT tg.tgisinternal
)

-- t: name, comment
SELECT 'schema' AS kind,
       ARRAY[s.nspname, (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = s.oid AND dsc.classoid = 'pg_catalog.pg_namespace'::regclass AND dsc.objsubid = 0)]::text[] AS t,
       NULL::bool[] AS b,
       NULL::int8[] AS n
FROM selected s

UNION ALL
-- t: name, schema, version, comment
SELECT 'extension',
       ARRAY[e.extname, n.nspname, e.extversion,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = e.oid AND dsc.classoid = 'pg_catalog.pg_extension'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace

UNION ALL
-- t: schema, name, comment, options, partition key, partition bound
-- b: unlogged, row security, forced row security
SELECT 'table',
       ARRAY[r.nspname, r.relname, (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = r.oid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0),
             pg_catalog.array_to_string(r.reloptions, ', '),
             CASE WHEN r.relkind = 'p' THEN pg_catalog.pg_get_partkeydef(r.oid) END,
             CASE WHEN r.relispartition
                  THEN pg_catalog.pg_get_expr(r.relpartbound, r.oid, true) END]::text[],
       ARRAY[r.relpersistence = 'u', r.relrowsecurity, r.relforcerowsecurity],
       NULL
FROM rels r
WHERE r.relkind IN ('r', 'p')

UNION ALL
-- t: schema, table, name, command ('r', 'a', 'w', 'd', '*'), using, with check, then the
--    roles, sorted (public for everyone; pg_roles, which every role may read)
-- b: permissive
SELECT 'policy',
       ARRAY[r.nspname, r.relname, p.polname, p.polcmd::text,
             pg_catalog.pg_get_expr(p.polqual, p.polrelid, true),
             pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid, true)]::text[]
           || ARRAY(SELECT CASE WHEN o.oid = 0 THEN 'public'
                                ELSE pg_catalog.quote_ident(ro.rolname) END AS role
                    FROM pg_catalog.unnest(p.polroles) AS o(oid)
                    LEFT JOIN pg_catalog.pg_roles ro ON ro.oid = o.oid
                    ORDER BY role),
       ARRAY[p.polpermissive],
       NULL
FROM rels r
JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
WHERE r.relkind IN ('r', 'p')

UNION ALL
-- t: schema, table, parent schema, parent name; n: position among the parents
SELECT 'parent',
       ARRAY[r.nspname, r.relname, pn.nspname, p.relname]::text[],
       NULL,
       ARRAY[i.inhseqno]::int8[]
FROM rels r
JOIN pg_catalog.pg_inherits i ON i.inhrelid = r.oid
JOIN pg_catalog.pg_class p ON p.oid = i.inhparent
JOIN pg_catalog.pg_namespace pn ON pn.oid = p.relnamespace
WHERE r.relkind IN ('r', 'p')

UNION ALL
-- t: schema, table, name, type, default, generation expression, identity ('', 'a', 'd'),
--    collation (when not the type's), comment
-- b: not null, identity cycles, virtual (generated, PostgreSQL 18)
-- n: attnum, identity start, increment, min, max, cache
SELECT 'column',
       ARRAY[r.nspname, r.relname, a.attname,
             pg_catalog.format_type(a.atttypid, a.atttypmod),
             CASE WHEN a.attgenerated = '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) END,
             CASE WHEN a.attgenerated <> '' THEN pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) END,
             a.attidentity::text,
             CASE WHEN a.attcollation <> t.typcollation THEN
                 CASE WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
                      ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                 END
             END,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = a.attrelid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = a.attnum)]::text[],
       ARRAY[a.attnotnull, seq.seqcycle, a.attgenerated = 'v'],
       ARRAY[a.attnum, seq.seqstart, seq.seqincrement, seq.seqmin, seq.seqmax, seq.seqcache]::int8[]
FROM rels r
JOIN pg_catalog.pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
LEFT JOIN LATERAL (
    SELECT s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_sequence s ON s.seqrelid = d.objid
    WHERE d.classid = 'pg_catalog.pg_class'::regclass
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND d.refobjid = a.attrelid
      AND d.refobjsubid = a.attnum
      AND d.deptype = 'i'
    LIMIT 1
) seq ON a.attidentity <> ''
WHERE r.relkind IN ('r', 'p')

UNION ALL
-- t: schema, table, name, type ('p', 'u', 'f', 'c', 'x'), definition, comment
SELECT 'constraint',
       ARRAY[r.nspname, r.relname, c.conname, c.contype::text,
             pg_catalog.pg_get_constraintdef(c.oid, true),
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = c.oid AND dsc.classoid = 'pg_catalog.pg_constraint'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM rels r
JOIN pg_catalog.pg_constraint c ON c.conrelid = r.oid
WHERE r.relkind IN ('r', 'p')
  AND c.contype IN ('p', 'u', 'f', 'c', 'x')

UNION ALL
-- t: schema, name, table, definition, comment
-- (indexes that implement a primary key, unique or exclusion constraint are part of it)
SELECT 'index',
       ARRAY[r.nspname, ic.relname, r.relname,
             pg_catalog.pg_get_indexdef(i.indexrelid, 0, true),
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = i.indexrelid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM rels r
JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
WHERE NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_constraint c
    WHERE c.conindid = i.indexrelid
      AND c.conrelid = i.indrelid
      AND c.contype IN ('p', 'u', 'x')
)

UNION ALL
-- t: schema, name, type, owning schema, table, column, comment
-- b: cycles; n: start, increment, min, max, cache
-- (identity sequences are part of their column)
SELECT 'sequence',
       ARRAY[r.nspname, r.relname, pg_catalog.format_type(s.seqtypid, NULL),
             owner.nspname, owner.relname, owner.attname,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = r.oid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0)]::text[],
       ARRAY[s.seqcycle],
       ARRAY[s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache]::int8[]
FROM rels r
JOIN pg_catalog.pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN LATERAL (
    SELECT tn.nspname, tc.relname, ta.attname, tc.oid
    FROM pg_catalog.pg_depend d
    JOIN pg_catalog.pg_class tc ON tc.oid = d.refobjid
    JOIN pg_catalog.pg_namespace tn ON tn.oid = tc.relnamespace
    JOIN pg_catalog.pg_attribute ta ON ta.attrelid = tc.oid AND ta.attnum = d.refobjsubid
    WHERE d.classid = 'pg_catalog.pg_class'::regclass
      AND d.objid = r.oid
      AND d.refclassid = 'pg_catalog.pg_class'::regclass
      AND d.refobjsubid > 0
      AND d.deptype = 'a'
    LIMIT 1
) owner ON true
WHERE NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = r.oid AND d.deptype = 'i'
)
  AND (owner.oid IS NULL OR owner.oid NOT IN (SELECT oid FROM ignored))

UNION ALL
-- t: schema, name, definition, options, comment
SELECT CASE r.relkind WHEN 'v' THEN 'view' ELSE 'materialized view' END,
       ARRAY[r.nspname, r.relname, pg_catalog.pg_get_viewdef(r.oid, true),
             pg_catalog.array_to_string(r.reloptions, ', '),
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = r.oid AND dsc.classoid = 'pg_catalog.pg_class'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM rels r
WHERE r.relkind IN ('v', 'm')

UNION ALL
-- t: schema, name, identity arguments, kind ('f', 'p', 'a', 'w'), definition, comment
SELECT 'function',
       ARRAY[s.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid),
             p.prokind::text,
             CASE WHEN p.prokind = 'a'
                  -- pg_get_functiondef refuses aggregates: describe the state machine.
                  THEN 'AGGREGATE ' || pg_catalog.quote_ident(s.nspname) || '.'
                       || pg_catalog.quote_ident(p.proname) || '('
                       || pg_catalog.pg_get_function_arguments(p.oid) || ') ('
                       || pg_catalog.concat_ws(', ',
                              'SFUNC = ' || ag.aggtransfn::text,
                              'STYPE = ' || pg_catalog.format_type(ag.aggtranstype, NULL),
                              CASE WHEN ag.aggfinalfn <> 0
                                   THEN 'FINALFUNC = ' || ag.aggfinalfn::text END,
                              'INITCOND = ' || pg_catalog.quote_literal(ag.agginitval))
                       || ')'
                  ELSE pg_catalog.pg_get_functiondef(p.oid)
             END,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = p.oid AND dsc.classoid = 'pg_catalog.pg_proc'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM pg_catalog.pg_proc p
JOIN selected s ON s.oid = p.pronamespace
LEFT JOIN pg_catalog.pg_aggregate ag ON ag.aggfnoid = p.oid
WHERE p.proname <> ALL ($2::text[])
  AND NOT EXISTS (
    SELECT 1 FROM extension_members m
    WHERE m.classid = 'pg_catalog.pg_proc'::regclass AND m.objid = p.oid
)
  -- A range type's constructors belong to the type (an internal dependency).
  AND NOT EXISTS (
    SELECT 1 FROM pg_catalog.pg_depend d
    WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'i'
)

UNION ALL
-- t: schema, table, name, definition, enabled ('O', 'D', 'R', 'A'), comment
SELECT 'trigger',
       ARRAY[r.nspname, r.relname, tg.tgname, pg_catalog.pg_get_triggerdef(tg.oid, true),
             tg.tgenabled::text, (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = tg.oid AND dsc.classoid = 'pg_catalog.pg_trigger'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM rels r
JOIN pg_catalog.pg_trigger tg ON tg.tgrelid = r.oid
WHERE NOT tg.tgisinternal

UNION ALL
-- t: schema, name, comment, then the labels in order
SELECT 'enum',
       ARRAY[s.nspname, t.typname, (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_catalog.pg_type'::regclass AND dsc.objsubid = 0)]::text[]
           || ARRAY(SELECT e.enumlabel::text FROM pg_catalog.pg_enum e
                    WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder),
       NULL, NULL
FROM pg_catalog.pg_type t
JOIN selected s ON s.oid = t.typnamespace
WHERE t.typtype = 'e'
  AND NOT EXISTS (
      SELECT 1 FROM extension_members m
      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
  )

UNION ALL
-- t: schema, name, base type, default, collation (when not the base type's), comment
-- b: not null
SELECT 'domain',
       ARRAY[s.nspname, t.typname, pg_catalog.format_type(t.typbasetype, t.typtypmod),
             pg_catalog.pg_get_expr(t.typdefaultbin, 0, true),
             CASE WHEN t.typcollation <> bt.typcollation THEN
                 CASE WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
                      ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                 END
             END,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_catalog.pg_type'::regclass AND dsc.objsubid = 0)]::text[],
       ARRAY[t.typnotnull],
       NULL
FROM pg_catalog.pg_type t
JOIN selected s ON s.oid = t.typnamespace
JOIN pg_catalog.pg_type bt ON bt.oid = t.typbasetype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = t.typcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'd'
  AND NOT EXISTS (
      SELECT 1 FROM extension_members m
      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
  )

UNION ALL
-- t: schema, domain, name, definition
SELECT 'domain constraint',
       ARRAY[s.nspname, t.typname, c.conname, pg_catalog.pg_get_constraintdef(c.oid, true)]::text[],
       NULL, NULL
FROM pg_catalog.pg_constraint c
JOIN pg_catalog.pg_type t ON t.oid = c.contypid
JOIN selected s ON s.oid = t.typnamespace
WHERE t.typtype = 'd'
  AND c.contype = 'c'
  AND NOT EXISTS (
      SELECT 1 FROM extension_members m
      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
  )

UNION ALL
-- t: schema, name, comment, then three per attribute in order: name, type, collation (when
--    not the type's)
-- (only stand-alone composite types: a table's row type is the table)
SELECT 'composite',
       ARRAY[s.nspname, t.typname, (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_catalog.pg_type'::regclass AND dsc.objsubid = 0)]::text[]
           || ARRAY(SELECT u.v
                    FROM pg_catalog.pg_attribute a
                    JOIN pg_catalog.pg_type at ON at.oid = a.atttypid
                    LEFT JOIN pg_catalog.pg_collation co ON co.oid = a.attcollation
                    LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
                    CROSS JOIN LATERAL pg_catalog.unnest(ARRAY[
                        a.attname::text,
                        pg_catalog.format_type(a.atttypid, a.atttypmod),
                        CASE WHEN a.attcollation <> at.typcollation THEN
                            CASE WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
                                 ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                            END
                        END]) WITH ORDINALITY AS u(v, i)
                    WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
                    ORDER BY a.attnum, u.i),
       NULL, NULL
FROM pg_catalog.pg_type t
JOIN selected s ON s.oid = t.typnamespace
JOIN pg_catalog.pg_class c ON c.oid = t.typrelid
WHERE t.typtype = 'c'
  AND c.relkind = 'c'
  AND NOT EXISTS (
      SELECT 1 FROM extension_members m
      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
  )

UNION ALL
-- t: schema, name, subtype, collation (when not the subtype's), canonical function,
--    subtype difference function, comment
SELECT 'range',
       ARRAY[s.nspname, t.typname, pg_catalog.format_type(r.rngsubtype, NULL),
             CASE WHEN r.rngcollation <> st.typcollation THEN
                 CASE WHEN cn.nspname = 'pg_catalog' THEN pg_catalog.quote_ident(co.collname)
                      ELSE pg_catalog.quote_ident(cn.nspname) || '.' || pg_catalog.quote_ident(co.collname)
                 END
             END,
             CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END,
             CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END,
             (SELECT dsc.description FROM pg_catalog.pg_description dsc WHERE dsc.objoid = t.oid AND dsc.classoid = 'pg_catalog.pg_type'::regclass AND dsc.objsubid = 0)]::text[],
       NULL, NULL
FROM pg_catalog.pg_type t
JOIN selected s ON s.oid = t.typnamespace
JOIN pg_catalog.pg_range r ON r.rngtypid = t.oid
JOIN pg_catalog.pg_type st ON st.oid = r.rngsubtype
LEFT JOIN pg_catalog.pg_collation co ON co.oid = r.rngcollation
LEFT JOIN pg_catalog.pg_namespace cn ON cn.oid = co.collnamespace
WHERE t.typtype = 'r'
  AND NOT EXISTS (
      SELECT 1 FROM extension_members m
      WHERE m.classid = 'pg_catalog.pg_type'::regclass AND m.objid = t.oid
  )

UNION ALL
-- t: what depends (kind, schema, name, detail, as `objects` names it), then what it depends
--    on (the same four). Normal and automatic dependencies only: internal ones tie an
--    object's parts together, extension ones are the extension's.
SELECT DISTINCT 'depend',
       ARRAY[o.kind, o.schema, o.name, o.detail, r.kind, r.schema, r.name, r.detail]::text[],
       NULL::bool[], NULL::int8[]
FROM (
    -- OFFSET 0 keeps the planner from walking pg_depend by its index and sorting `objects`
    -- to merge with it (which spills to disk on a large schema): both joins hash.
    SELECT d.classid, d.objid, d.objsubid, d.refclassid, d.refobjid, d.refobjsubid
    FROM pg_catalog.pg_depend d
    WHERE d.deptype IN ('n', 'a')
    OFFSET 0
) d
JOIN objects o ON o.classid = d.classid AND o.objid = d.objid AND o.subid = d.objsubid
JOIN objects r ON r.classid = d.refclassid AND r.objid = d.refobjid AND r.subid = d.refobjsubid
WHERE (o.kind, o.schema, o.name, o.detail) <> (r.kind, r.schema, r.name, r.detail)
