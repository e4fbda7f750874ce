//! TLS to a real server: a throwaway PostgreSQL with `ssl = on`, a certificate for
//! `localhost` signed by a CA made here, and a `pg_hba.conf` that takes TCP connections only
//! over TLS. Each `sslmode` does what libpq's does, and each failure says why and what to do.
#![cfg(feature = "tls")]

#[cfg(feature = "cli")]
#[path = "support/cli.rs"]
mod cli;
#[path = "support/db.rs"]
mod db;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use pelican::testing::TestServer;
use pelican::tls::{ConnectError, Connector, SslMode};
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use tokio_postgres::Client;

/// The server every test here connects to, and the files a client needs.
struct TlsServer {
    _server: TestServer,
    port: u16,
    /// The CA that signed the server's certificate.
    ca: PathBuf,
    /// A CA that signed nothing of this server's.
    other_ca: PathBuf,
}

impl TlsServer {
    /// A URL to the server's `postgres` database through `host`, with `params`.
    fn url(&self, host: &str, params: &str) -> String {
        format!(
            "postgresql://postgres@{host}:{}/postgres?{params}",
            self.port
        )
    }
}

/// A CA: its certificate (PEM) and what signs with it.
fn new_ca(name: &str) -> (String, Issuer<'static, KeyPair>) {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), Issuer::new(params, key))
}

/// Writes `text` to `path`, owned by `owner`'s account, readable by it alone (the server
/// refuses a key others can read).
fn write_owned(path: &Path, text: &str, owner: &fs::Metadata) {
    fs::write(path, text).unwrap();
    std::os::unix::fs::chown(path, Some(owner.uid()), Some(owner.gid())).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

fn tls_server() -> &'static TlsServer {
    static SERVER: OnceLock<TlsServer> = OnceLock::new();
    // Started on a thread of its own: the tests' runtimes can't block on another.
    SERVER.get_or_init(|| std::thread::spawn(start_tls_server).join().unwrap())
}

fn start_tls_server() -> TlsServer {
    let server = TestServer::start_throwaway_tcp().expect("a throwaway server on TCP");
    let port = server.tcp_port().unwrap();
    let data_dir = server.data_dir().unwrap().to_path_buf();
    let owner = fs::metadata(&data_dir).unwrap();

    let (ca_pem, issuer) = new_ca("pelican test CA");
    let (other_ca_pem, _) = new_ca("some other CA");
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    write_owned(&data_dir.join("server.crt"), &cert.pem(), &owner);
    write_owned(&data_dir.join("server.key"), &key.serialize_pem(), &owner);
    // TCP only over TLS; the harness keeps its socket.
    fs::write(
        data_dir.join("pg_hba.conf"),
        "local all all trust\n\
         hostssl all alice 127.0.0.1/32 scram-sha-256\n\
         hostssl all all 127.0.0.1/32 trust\n",
    )
    .unwrap();
    let files = data_dir.parent().unwrap();
    let (ca, other_ca) = (files.join("ca.pem"), files.join("other-ca.pem"));
    fs::write(&ca, ca_pem).unwrap();
    fs::write(&other_ca, other_ca_pem).unwrap();

    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async {
            let client = server.connect().await.unwrap();
            client
                .simple_query("ALTER SYSTEM SET ssl = on")
                .await
                .unwrap();
            client
                .simple_query("CREATE ROLE alice LOGIN PASSWORD 's3cret'")
                .await
                .unwrap();
            client
                .simple_query("SELECT pg_reload_conf()")
                .await
                .unwrap();
            // The postmaster reloads in the background: new sessions see it when done.
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                let client = server.connect().await.unwrap();
                let row = client.query_one("SHOW ssl", &[]).await.unwrap();
                if row.get::<_, String>(0) == "on" {
                    break;
                }
                assert!(Instant::now() < deadline, "ssl was not turned on");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    TlsServer {
        _server: server,
        port,
        ca,
        other_ca,
    }
}

/// Whether the server sees `client`'s session as encrypted.
async fn encrypted(client: &Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

async fn connect(url: &str) -> Result<Client, ConnectError> {
    Connector::new(url)?.connect().await
}

#[tokio::test]
async fn require_encrypts_without_checking_the_certificate() {
    let server = tls_server();
    // A certificate of an unknown CA, for a name other than the host: require takes it.
    let client = connect(&server.url("127.0.0.1", "sslmode=require"))
        .await
        .unwrap();
    assert!(encrypted(&client).await);
    // So does prefer, the default, when the server offers TLS.
    let client = connect(&server.url("127.0.0.1", "")).await.unwrap();
    assert!(encrypted(&client).await);
}

#[tokio::test]
async fn verify_ca_checks_the_chain_but_not_the_host_name() {
    let server = tls_server();
    let good = format!("sslmode=verify-ca&sslrootcert={}", server.ca.display());
    // The certificate names localhost, not 127.0.0.1: verify-ca doesn't look.
    let client = connect(&server.url("127.0.0.1", &good)).await.unwrap();
    assert!(encrypted(&client).await);

    let other = format!(
        "sslmode=verify-ca&sslrootcert={}",
        server.other_ca.display()
    );
    let error = connect(&server.url("127.0.0.1", &other)).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "the certificate of the server 127.0.0.1 is not signed by a trusted CA (trusted: \
             the CA certificates of sslrootcert={}): give the CA certificate that signed it \
             with sslrootcert=/path/to/ca.pem (for a managed service, its CA bundle), or check \
             that 127.0.0.1 is the right server",
            server.other_ca.display()
        )
    );
}

#[tokio::test]
async fn verify_full_checks_the_chain_and_the_host_name() {
    let server = tls_server();
    let params = format!("sslmode=verify-full&sslrootcert={}", server.ca.display());
    let client = connect(&server.url("localhost", &params)).await.unwrap();
    assert!(encrypted(&client).await);

    let error = connect(&server.url("127.0.0.1", &params))
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectError::HostNameMismatch { .. }));
    assert_eq!(
        error.to_string(),
        "the certificate of the server 127.0.0.1 is not valid for the host name 127.0.0.1 (it \
         names localhost): connect with a host name the certificate names, or use \
         sslmode=verify-ca to check the CA but not the name"
    );

    // Without sslrootcert, the platform's CAs are trusted, and they didn't sign this one.
    let error = connect(&server.url("localhost", "sslmode=verify-full"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the certificate of the server localhost is not signed by a trusted CA (trusted: the \
         platform's CA certificates): give the CA certificate that signed it with \
         sslrootcert=/path/to/ca.pem (for a managed service, its CA bundle), or check that \
         localhost is the right server"
    );
}

#[tokio::test]
async fn require_with_a_root_cert_checks_the_chain_as_libpq_does() {
    let server = tls_server();
    let params = format!("sslmode=require&sslrootcert={}", server.other_ca.display());
    let error = connect(&server.url("localhost", &params))
        .await
        .unwrap_err();
    assert!(
        matches!(error, ConnectError::UntrustedCertificate { .. }),
        "{error}"
    );
    let params = format!("sslmode=require&sslrootcert={}", server.ca.display());
    connect(&server.url("127.0.0.1", &params)).await.unwrap();
}

#[tokio::test]
async fn the_key_value_form_works_too() {
    let server = tls_server();
    let conninfo = format!(
        "host=localhost port={} user=postgres dbname=postgres sslmode=verify-full \
         sslrootcert='{}'",
        server.port,
        server.ca.display()
    );
    let connector = Connector::new(&conninfo).unwrap();
    assert_eq!(connector.ssl_mode(), SslMode::VerifyFull);
    assert!(encrypted(&connector.connect().await.unwrap()).await);
}

#[tokio::test]
async fn a_password_over_tls_is_bound_to_the_channel() {
    let server = tls_server();
    // SCRAM-SHA-256-PLUS: the password exchange is tied to this TLS session.
    let url = format!(
        "postgresql://alice:s3cret@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}\
         &channel_binding=require",
        server.port,
        server.ca.display()
    );
    let client = connect(&url).await.unwrap();
    assert!(encrypted(&client).await);
    let user: String = client
        .query_one("SELECT current_user::text", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(user, "alice");
    let wrong = url.replace("s3cret", "wrong");
    let error = connect(&wrong).await.unwrap_err();
    assert!(
        error
            .to_string()
            .contains("password authentication failed for user \"alice\""),
        "{error}"
    );
}

#[tokio::test]
async fn disable_against_a_server_that_requires_tls_says_so() {
    let server = tls_server();
    let error = connect(&server.url("127.0.0.1", "sslmode=disable"))
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the server 127.0.0.1 accepts only TLS connections (a hostssl line in pg_hba.conf), and \
         this connection was not encrypted (sslmode=disable): use sslmode=verify-full with \
         sslrootcert, or sslmode=require; the server said: no pg_hba.conf entry for host \
         \"127.0.0.1\", user \"postgres\", database \"postgres\", no encryption"
    );
}

#[tokio::test]
async fn require_against_a_server_without_tls_says_so() {
    let server = TestServer::start_throwaway_tcp().unwrap();
    let port = server.tcp_port().unwrap();
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=require");
    let error = connect(&url).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "the server 127.0.0.1 does not accept TLS connections, and sslmode=require requires \
         TLS: turn on ssl on the server (ssl = on, with a certificate), or use sslmode=prefer \
         if an unencrypted connection is acceptable"
    );
    // prefer falls back to an unencrypted connection.
    let url = format!("postgresql://postgres@127.0.0.1:{port}/postgres?sslmode=prefer");
    let client = connect(&url).await.unwrap();
    assert!(!encrypted(&client).await);
}

#[tokio::test]
async fn a_pool_built_with_the_connector_runs_migrations_over_tls() {
    let server = tls_server();
    let params = format!("sslmode=verify-full&sslrootcert={}", server.ca.display());
    let connector = Connector::new(&server.url("localhost", &params)).unwrap();
    let manager = connector.pool_manager(deadpool_postgres::ManagerConfig::default());
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(2)
        .build()
        .unwrap();
    let schema = format!("tls_pool_{}", std::process::id());
    let client = pool.get().await.unwrap();
    assert!(encrypted(&client).await);
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    drop(client);
    static MIGRATIONS: pelican::EmbeddedMigrations =
        pelican::embed_migrations!("tests/fixtures/embed/billing");
    let migrator = pelican::Migrator::new(&MIGRATIONS).schema(schema.clone());
    migrator.migrate_to_head(&pool).await.unwrap();
    let status = migrator.status(&pool).await.unwrap();
    assert!(status.pending.is_empty(), "{status:?}");
}

#[test]
fn settings_that_cannot_work_are_refused_before_connecting() {
    let error = Connector::new(
        "postgresql://db.example/app?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "the sslrootcert file /nonexistent/ca.pem can't be read (No such file or directory (os \
         error 2)): give the path of the PEM file of the CA that signed the server's \
         certificate (managed services publish theirs)"
    );
    let not_pem = std::env::temp_dir().join(format!("pelican-not-pem-{}", std::process::id()));
    fs::write(&not_pem, "hello").unwrap();
    let error = Connector::new(&format!(
        "host=db.example sslmode=verify-ca sslrootcert={}",
        not_pem.display()
    ))
    .unwrap_err();
    let _ = fs::remove_file(&not_pem);
    assert_eq!(
        error.to_string(),
        format!(
            "the sslrootcert file {} is not a CA certificate file: it holds no PEM certificate \
             (-----BEGIN CERTIFICATE-----); give a PEM file holding the CA certificate(s)",
            not_pem.display()
        )
    );
    let error = Connector::new("host=db.example sslmode=verify_full").unwrap_err();
    assert_eq!(
        error.to_string(),
        "sslmode=verify_full is not an sslmode: use disable, allow, prefer, require, verify-ca \
         or verify-full"
    );
    let error =
        Connector::new("postgres://db.example/app?sslmode=require&sslrootcert=system").unwrap_err();
    assert_eq!(
        error.to_string(),
        "sslmode=require may not be used with sslrootcert=system (as in libpq): use \
         sslmode=verify-full, or name a CA file with sslrootcert"
    );
    let error =
        Connector::new("postgres://db.example/app?sslcert=/home/me/client.crt").unwrap_err();
    assert_eq!(
        error.to_string(),
        "the connection string parameter sslcert is not supported: pelican authenticates with \
         a password or trust, not a client certificate; remove sslcert (sslmode and \
         sslrootcert are supported)"
    );
}

#[test]
fn modes_decide_whether_tls_is_used() {
    let connector = Connector::new("postgres://db.example/app").unwrap();
    assert_eq!(connector.ssl_mode(), SslMode::Prefer);
    assert!(connector.rustls().is_some());
    let connector = Connector::new("postgres://db.example/app?sslmode=disable").unwrap();
    assert!(connector.rustls().is_none());
    // As in libpq, TLS settings don't apply to Unix-domain sockets.
    let connector = Connector::new("host=/tmp sslmode=require").unwrap();
    assert!(connector.rustls().is_none());
    // sslrootcert=system means verify-full.
    let connector = Connector::new("postgres://db.example/app?sslrootcert=system").unwrap();
    assert_eq!(connector.ssl_mode(), SslMode::VerifyFull);
}

#[cfg(feature = "cli")]
#[tokio::test]
async fn the_cli_upgrades_over_verify_full() {
    let server = tls_server();
    let p = cli::Project::new("tls");
    p.migration("a1", "");
    let url = server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", server.ca.display()),
    );
    let schema = format!("tls_cli_{}", std::process::id());
    let client = connect(&url).await.unwrap();
    client
        .batch_execute(&format!("CREATE SCHEMA {schema}"))
        .await
        .unwrap();
    let args =
        |verb: &'static str| ["--database-url", &url, "--schema", &schema, verb].map(str::to_owned);
    let run = |verb| {
        let args = args(verb);
        p.pelican_env(&args.iter().map(String::as_str).collect::<Vec<_>>(), &[])
    };
    run("upgrade").ok();
    assert_eq!(run("current").ok().trim(), "a1 (head)");
    let applied: i64 = client
        .query_one(
            &format!("SELECT count(*) FROM {schema}.pelican_revisions WHERE revision = 'a1'"),
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(applied, 1);

    // Through the CLI, a host name the certificate doesn't name fails with the reason.
    let wrong = server.url(
        "127.0.0.1",
        &format!("sslmode=verify-full&sslrootcert={}", server.ca.display()),
    );
    let run = p.pelican_env(&["--database-url", &wrong, "current"], &[]);
    assert_eq!(
        run.fails(1),
        format!(
            "error: could not connect to the database {wrong}: the certificate of the server \
             127.0.0.1 is not valid for the host name 127.0.0.1 (it names localhost): connect \
             with a host name the certificate names, or use sslmode=verify-ca to check the CA \
             but not the name\n"
        )
    );
}

#[cfg(feature = "fleet")]
#[tokio::test]
async fn a_fleet_migrates_tenants_over_verify_full() {
    use pelican::fleet::{Fleet, Target};

    let server = tls_server();
    let url = server.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={}", server.ca.display()),
    );
    let tenants: Vec<String> = (1..=3)
        .map(|n| format!("tls_fleet_{}_{n}", std::process::id()))
        .collect();
    let client = connect(&url).await.unwrap();
    for tenant in &tenants {
        client
            .batch_execute(&format!("CREATE SCHEMA {tenant}"))
            .await
            .unwrap();
    }
    let set = || {
        db::set(&[db::sql(
            "t1",
            "",
            "CREATE TABLE items (id int);",
            "DROP TABLE items;",
        )])
    };
    let targets = tenants.iter().map(|t| Target::schema(&url, t)).collect();
    let report = Fleet::new(set(), targets)
        .jobs(2)
        .upgrade("head")
        .await
        .unwrap();
    assert!(
        report.all_succeeded(),
        "{:?}",
        report.failures().collect::<Vec<_>>()
    );
    assert_eq!(report.counts().migrated, 3, "{}", report.summary());
    // The status reads every tenant's digest in one query, over TLS as well.
    let statuses = Fleet::new(
        set(),
        tenants.iter().map(|t| Target::schema(&url, t)).collect(),
    )
    .status()
    .await
    .unwrap();
    assert!(
        statuses.iter().all(|s| s.is_current() && s.by_digest),
        "{statuses:?}"
    );

    // A wrong CA fails each target with the reason, never unencrypted.
    let wrong = server.url(
        "localhost",
        &format!(
            "sslmode=verify-full&sslrootcert={}",
            server.other_ca.display()
        ),
    );
    let targets = vec![Target::schema(&wrong, &tenants[0])];
    let report = Fleet::new(set(), targets).upgrade("head").await.unwrap();
    assert_eq!(report.counts().failed, 1, "{}", report.summary());
    let failure = format!("{:?}", report.failures().next().unwrap().outcome);
    assert!(failure.contains("UnknownIssuer"), "{failure}");
}
