//! Which backends the black-box suite runs on: the embedded default, or, with
//! `OCEAN_SETTINGS=aws_local`, every port on the local servers that speak the AWS and
//! PostgreSQL wire protocols (the committed `settings/aws_local.toml`), each test with its own
//! table, bucket, stream, queues, SNS application and database so tests run in parallel.

use std::sync::atomic::{AtomicU64, Ordering};

use ocean::settings::{
    MediaBackend, NotificationsBackend, PlacesBackend, QueueBackend, RecordsBackend, SearchBackend,
    Secret, Sources, StreamBackend,
};
use tourney_wiring::AppSettings;

/// The settings file that moves the suite onto the local servers.
const AWS_LOCAL: &str = "aws_local";

/// Whether this run puts every port on the local AWS-protocol servers and PostgreSQL.
pub(crate) fn aws_local() -> bool {
    std::env::var("OCEAN_SETTINGS").is_ok_and(|name| name == AWS_LOCAL)
}

/// `settings` with every port moved to the servers `settings/aws_local.toml` names, under
/// names of this test's own, and those resources created. Keeps the test's data directory.
pub(crate) async fn use_aws_local(settings: &mut AppSettings) {
    for server in [
        &ocean_conformance::servers::MOTO,
        &ocean_conformance::servers::S3,
        &ocean_conformance::servers::POSTGRES,
    ] {
        // Under CI=true this fails naming the command that starts the server; elsewhere a
        // run that asked for aws_local without the servers is a mistake too.
        if ocean_conformance::servers::server(server, "the aws_local API suite").is_none() {
            panic!(
                "OCEAN_SETTINGS=aws_local needs {}: see CONTRIBUTING.md",
                server.name
            );
        }
    }
    let sources = Sources {
        settings_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../../settings").into(),
        name: Some(AWS_LOCAL.to_owned()),
        env: Vec::new(),
    };
    let local = AppSettings::load_from(&sources).expect("settings/aws_local.toml loads");
    let name = unique_name();
    settings.aws = local.aws.clone();
    if let RecordsBackend::Dynamodb { .. } = &local.records {
        settings.records = RecordsBackend::Dynamodb {
            table: format!("{name}-records"),
        };
    }
    if let MediaBackend::S3 {
        public_url,
        endpoint_url,
        ..
    } = &local.media
    {
        settings.media = MediaBackend::S3 {
            bucket: format!("{name}-media"),
            public_url: public_url.clone(),
            endpoint_url: endpoint_url.clone(),
        };
    }
    if let StreamBackend::Kinesis { shards, .. } = &local.stream {
        settings.stream = StreamBackend::Kinesis {
            stream_prefix: format!("{name}-"),
            checkpoint_table: format!("{name}-checkpoints"),
            shards: *shards,
        };
    }
    if let QueueBackend::Sqs { max_receives, .. } = &local.queue {
        settings.queue = QueueBackend::Sqs {
            queue_prefix: format!("{name}-"),
            max_receives: *max_receives,
        };
    }
    if let PlacesBackend::Postgres { url } = &local.places {
        let database = create_database(url.expose(), &name).await;
        settings.places = PlacesBackend::Postgres {
            url: Secret::new(database.clone()),
        };
        if let SearchBackend::Postgres { .. } = &local.search {
            settings.search = SearchBackend::Postgres {
                url: Secret::new(database),
            };
        }
    }
    if let NotificationsBackend::Sns { .. } = &local.notifications {
        let endpoint = settings.aws.endpoint_url.clone().unwrap_or_default();
        let credentials = ocean_sns::PlatformCredentials {
            principal: None,
            credential: "test-apns-key".to_owned(),
        };
        let arn = ocean_sns::SnsNotifications::create_platform_application(
            &ocean_aws::test_config(&endpoint),
            &format!("{name}-apns"),
            ocean::notifications::Platform::Apns,
            &credentials,
        )
        .await
        .expect("create the SNS platform application");
        settings.notifications = NotificationsBackend::Sns {
            apns_application_arn: arn,
            apns_sandbox_application_arn: None,
        };
    }
    tourney_wiring::init_aws(settings)
        .await
        .expect("create the test's AWS resources");
}

/// A name no other test of any run uses, valid for tables, buckets, streams and queues
/// (lowercase letters, digits and `-`, short).
fn unique_name() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() % 1_000_000_000_000);
    format!("api{}-{n}-{nanos:x}", std::process::id())
}

/// Creates database `name` (as `api_...`) on the server of `admin_url` and returns its
/// URL; databases left by earlier runs whose process is gone are dropped first.
async fn create_database(admin_url: &str, name: &str) -> String {
    let (client, connection) = tokio_postgres::connect(admin_url, tokio_postgres::NoTls)
        .await
        .expect("connect to postgresql");
    tokio::spawn(connection);
    drop_stale_databases(&client).await;
    let database = name.replace('-', "_");
    // A database name cannot be a query parameter; this one is made of [a-z0-9_] only.
    client
        .batch_execute(&format!("CREATE DATABASE {database}"))
        .await
        .expect("create the test's database");
    let base = admin_url
        .rsplit_once('/')
        .map_or(admin_url, |(base, _)| base);
    format!("{base}/{database}")
}

/// Drops the `api<pid>_...` databases of test processes that have exited.
async fn drop_stale_databases(client: &tokio_postgres::Client) {
    let rows = client
        .query(
            "SELECT datname FROM pg_database WHERE datname LIKE 'api%\\_%'",
            &[],
        )
        .await
        .expect("list databases");
    for row in rows {
        let database: String = row.get(0);
        let pid = database
            .strip_prefix("api")
            .and_then(|rest| rest.split('_').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        let Some(pid) = pid else { continue };
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists();
        let ours = database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !alive && ours {
            let _ = client
                .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .await;
        }
    }
}
