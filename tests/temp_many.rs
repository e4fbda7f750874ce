//! 200 `#[pelican::test]` functions with a `TempDatabase` each, in one test binary: the
//! template is built once, every test gets a copy of its own, and none sees another's rows or
//! tables. The harness runs them as it runs any tests (one thread per core).

use pelican::testing::TempDatabase;
use pelican::EmbeddedMigrations;

static MIGRATIONS: EmbeddedMigrations =
    pelican::embed_migrations!("tests/fixtures/temp/migrations");

/// Each test writes its number into the shared table of the migrations and into a table of
/// its own, then checks it sees only its own.
macro_rules! database_tests {
    ($($name:ident)*) => {
        $(
            #[pelican::test(migrations = MIGRATIONS)]
            async fn $name(database: TempDatabase) {
                let client = database.connect().await.unwrap();
                let me = stringify!($name);
                client
                    .batch_execute(&format!(
                        "INSERT INTO tasks (title) VALUES ('{me}'); CREATE TABLE {me} (id int)"
                    ))
                    .await
                    .unwrap();
                let titles: Vec<String> = client
                    .query("SELECT title FROM tasks", &[])
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| row.get(0))
                    .collect();
                assert_eq!(titles, [me]);
                let tables: i64 = client
                    .query_one(
                        "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' \
                         AND tablename LIKE 'db\\_%'",
                        &[],
                    )
                    .await
                    .unwrap()
                    .get(0);
                assert_eq!(tables, 1, "only this test's table");
            }
        )*
    };
}

database_tests!(
    db_000 db_001 db_002 db_003 db_004 db_005 db_006 db_007 db_008 db_009
    db_010 db_011 db_012 db_013 db_014 db_015 db_016 db_017 db_018 db_019
    db_020 db_021 db_022 db_023 db_024 db_025 db_026 db_027 db_028 db_029
    db_030 db_031 db_032 db_033 db_034 db_035 db_036 db_037 db_038 db_039
    db_040 db_041 db_042 db_043 db_044 db_045 db_046 db_047 db_048 db_049
    db_050 db_051 db_052 db_053 db_054 db_055 db_056 db_057 db_058 db_059
    db_060 db_061 db_062 db_063 db_064 db_065 db_066 db_067 db_068 db_069
    db_070 db_071 db_072 db_073 db_074 db_075 db_076 db_077 db_078 db_079
    db_080 db_081 db_082 db_083 db_084 db_085 db_086 db_087 db_088 db_089
    db_090 db_091 db_092 db_093 db_094 db_095 db_096 db_097 db_098 db_099
    db_100 db_101 db_102 db_103 db_104 db_105 db_106 db_107 db_108 db_109
    db_110 db_111 db_112 db_113 db_114 db_115 db_116 db_117 db_118 db_119
    db_120 db_121 db_122 db_123 db_124 db_125 db_126 db_127 db_128 db_129
    db_130 db_131 db_132 db_133 db_134 db_135 db_136 db_137 db_138 db_139
    db_140 db_141 db_142 db_143 db_144 db_145 db_146 db_147 db_148 db_149
    db_150 db_151 db_152 db_153 db_154 db_155 db_156 db_157 db_158 db_159
    db_160 db_161 db_162 db_163 db_164 db_165 db_166 db_167 db_168 db_169
    db_170 db_171 db_172 db_173 db_174 db_175 db_176 db_177 db_178 db_179
    db_180 db_181 db_182 db_183 db_184 db_185 db_186 db_187 db_188 db_189
    db_190 db_191 db_192 db_193 db_194 db_195 db_196 db_197 db_198 db_199
);
