-- pelican offline script: stamp, 4 revisions.
-- History tables: "public"."pelican_revisions" and "public"."pelican_log".
-- Run it with: psql -v ON_ERROR_STOP=1 -X -f <this file>
-- (ON_ERROR_STOP makes psql stop at the first error instead of running what follows).

-- The history tables, when missing.
CREATE TABLE IF NOT EXISTS "public"."pelican_revisions" (
    revision text PRIMARY KEY,
    parents text[] NOT NULL DEFAULT '{}',
    message text NOT NULL DEFAULT '',
    checksum text NOT NULL,
    checksum_algorithm text NOT NULL DEFAULT 'sha256',
    kind text NOT NULL CHECK (kind IN ('sql', 'rust')),
    state text NOT NULL CHECK (state IN ('applied', 'stamped', 'failed')),
    applied_at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    applied_by text NOT NULL DEFAULT current_user,
    error text
);
COMMENT ON TABLE "public"."pelican_revisions" IS 'pelican: one row per applied, stamped or failed revision (layout 1)';
CREATE TABLE IF NOT EXISTS "public"."pelican_log" (
    id bigserial PRIMARY KEY,
    revision text NOT NULL,
    operation text NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('ok', 'failed')),
    at timestamptz NOT NULL DEFAULT now(),
    duration_ms bigint,
    by text NOT NULL DEFAULT current_user,
    checksum text,
    detail text
);
COMMENT ON TABLE "public"."pelican_log" IS 'pelican: append-only record of every upgrade, downgrade, stamp and repair (layout 1)';

-- Stamping root, a, b, m (recorded as applied, not run)
BEGIN;
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('root', ARRAY[]::text[], 'root', '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('root', 'stamp', 'ok', NULL, '814200fbb9d2120186f8b95b35b6380533900dd38f9b7937067e648775068c9d', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('a', ARRAY['root']::text[], 'a', '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('a', 'stamp', 'ok', NULL, '98a9193f97d316bfc708be99a2fb4e620160dfba5f02b1ee9a6be34595e9d0d6', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('b', ARRAY['root']::text[], 'b', 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('b', 'stamp', 'ok', NULL, 'd26ea5312b17b192a102efdcc31549806868c7c43cd70615c744ff1b76f944f0', NULL);
INSERT INTO "public"."pelican_revisions" (revision, parents, message, checksum, checksum_algorithm, kind, state, duration_ms, error) VALUES ('m', ARRAY['a', 'b']::text[], 'm', 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', 'sha256', 'sql', 'stamped', NULL, NULL);
INSERT INTO "public"."pelican_log" (revision, operation, outcome, duration_ms, checksum, detail) VALUES ('m', 'stamp', 'ok', NULL, 'd282bf0d30b93ac4c001ebc2381af8a9a2f6a86751f38cb9c513f93a8f5c6e54', NULL);
COMMIT;
