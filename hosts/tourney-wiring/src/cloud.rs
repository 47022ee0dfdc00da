//! The AWS and PostgreSQL backends: each port's setting turned into its adapter, and
//! `init-aws`'s idempotent creation of every table, bucket, stream and queue they use.

use std::sync::Arc;

use anyhow::{Context, Result};
use ocean::settings::{
    MediaBackend, NotificationsBackend, PlacesBackend, QueueBackend, RecordsBackend, SearchBackend,
    StreamBackend,
};
use ocean::{JobQueue, Media, Notifications, Places, Records, Search, Settings, Stream};
use tourney_core::service::{JOB_QUEUES, VOTES_STREAM};

/// Lazily loaded AWS SDK configuration shared by every AWS port of one `open`.
#[derive(Debug, Default)]
pub(crate) struct Aws {
    config: Option<aws_config::SdkConfig>,
}

impl Aws {
    /// The SDK configuration `[aws]` describes, loaded on first use.
    async fn config<App>(&mut self, settings: &Settings<App>) -> &aws_config::SdkConfig {
        let config = match self.config.take() {
            Some(config) => config,
            None => ocean_aws::sdk_config(&settings.aws).await,
        };
        self.config.insert(config)
    }
}

/// The records port on DynamoDB.
pub(crate) async fn records<App>(
    aws: &mut Aws,
    settings: &Settings<App>,
) -> Result<Option<Arc<dyn Records>>> {
    let RecordsBackend::Dynamodb { table } = &settings.records else {
        return Ok(None);
    };
    let config = aws.config(settings).await;
    tracing::info!(table, "records on dynamodb");
    Ok(Some(Arc::new(ocean_dynamodb::DynamoRecords::new(
        config, table,
    ))))
}

/// The media port on S3 (`media.endpoint_url` overriding `aws.endpoint_url`).
pub(crate) async fn media<App>(
    aws: &mut Aws,
    settings: &Settings<App>,
) -> Result<Option<Arc<dyn Media>>> {
    let MediaBackend::S3 { .. } = &settings.media else {
        return Ok(None);
    };
    Ok(Some(Arc::new(s3_media(aws, settings).await)))
}

async fn s3_media<App>(aws: &mut Aws, settings: &Settings<App>) -> ocean_s3::S3Media {
    let MediaBackend::S3 {
        bucket,
        public_url,
        endpoint_url,
    } = &settings.media
    else {
        unreachable!("called for the s3 backend only")
    };
    let mut config = aws.config(settings).await.clone();
    if let Some(endpoint) = endpoint_url {
        config = config.to_builder().endpoint_url(endpoint).build();
    }
    tracing::info!(bucket, "media on s3");
    ocean_s3::S3Media::new(&config, bucket, public_url.clone())
}

/// The stream port on Kinesis, checkpoints in DynamoDB.
pub(crate) async fn stream<App>(
    aws: &mut Aws,
    settings: &Settings<App>,
) -> Result<Option<Arc<dyn Stream>>> {
    let StreamBackend::Kinesis {
        stream_prefix,
        checkpoint_table,
        shards,
    } = &settings.stream
    else {
        return Ok(None);
    };
    let config = aws.config(settings).await;
    tracing::info!(stream_prefix, checkpoint_table, shards, "stream on kinesis");
    Ok(Some(Arc::new(ocean_kinesis::KinesisStream::new(
        config,
        stream_prefix,
        checkpoint_table,
        *shards,
    ))))
}

/// The job-queue port on SQS.
pub(crate) async fn queue<App>(
    aws: &mut Aws,
    settings: &Settings<App>,
) -> Result<Option<Arc<dyn JobQueue>>> {
    let QueueBackend::Sqs {
        queue_prefix,
        max_receives,
    } = &settings.queue
    else {
        return Ok(None);
    };
    let config = aws.config(settings).await;
    tracing::info!(queue_prefix, max_receives, "queues on sqs");
    Ok(Some(Arc::new(ocean_sqs::SqsQueue::new(
        config,
        queue_prefix,
        *max_receives,
    ))))
}

/// The notifications port on SNS mobile push.
pub(crate) async fn notifications<App>(
    aws: &mut Aws,
    settings: &Settings<App>,
) -> Result<Option<Arc<dyn Notifications>>> {
    let NotificationsBackend::Sns {
        apns_application_arn,
        apns_sandbox_application_arn,
    } = &settings.notifications
    else {
        return Ok(None);
    };
    let config = aws.config(settings).await;
    tracing::info!(apns_application_arn, "notifications on sns");
    Ok(Some(Arc::new(ocean_sns::SnsNotifications::new(
        config,
        apns_application_arn,
        apns_sandbox_application_arn.clone(),
    ))))
}

/// The places port on PostgreSQL (migrated on connect, or on its first call that reaches
/// the server when it is down at start: the server starts and reports it at `/v1/test`).
pub(crate) async fn places<App>(settings: &Settings<App>) -> Result<Option<Arc<dyn Places>>> {
    let PlacesBackend::Postgres { url } = &settings.places else {
        return Ok(None);
    };
    let options = ocean_postgres::ConnectOptions::default();
    let places = ocean_postgres::PostgresPlaces::connect_or_defer(url.expose(), options)
        .await
        .context("connecting the places port to postgresql (places.url)")?;
    tracing::info!("places on postgresql");
    Ok(Some(Arc::new(places)))
}

/// The search port on PostgreSQL (migrated on connect, or on its first call that reaches
/// the server when it is down at start: the server starts and reports it at `/v1/test`).
pub(crate) async fn search<App>(settings: &Settings<App>) -> Result<Option<Arc<dyn Search>>> {
    let SearchBackend::Postgres { url } = &settings.search else {
        return Ok(None);
    };
    let options = ocean_postgres::ConnectOptions::default();
    let search = ocean_postgres::PostgresSearch::connect_or_defer(url.expose(), options)
        .await
        .context("connecting the search port to postgresql (search.url)")?;
    tracing::info!("search on postgresql");
    Ok(Some(Arc::new(search)))
}

/// Creates what the AWS backends `settings` choose need and lacks: the records table, the
/// media bucket, the votes stream and its checkpoint table, the job queues with their
/// dead-letter queues. Idempotent; returns one line per resource for the operator.
pub async fn init_aws<App>(settings: &Settings<App>) -> Result<Vec<String>> {
    let mut aws = Aws::default();
    let mut done = Vec::new();
    if let RecordsBackend::Dynamodb { table } = &settings.records {
        let config = aws.config(settings).await;
        ocean_dynamodb::DynamoRecords::new(config, table)
            .create_table()
            .await
            .with_context(|| format!("creating dynamodb table {table}"))?;
        done.push(format!("dynamodb table {table}"));
    }
    if let MediaBackend::S3 { bucket, .. } = &settings.media {
        s3_media(&mut aws, settings)
            .await
            .create_bucket()
            .await
            .with_context(|| format!("creating s3 bucket {bucket}"))?;
        done.push(format!("s3 bucket {bucket}"));
    }
    if let StreamBackend::Kinesis {
        stream_prefix,
        checkpoint_table,
        shards,
    } = &settings.stream
    {
        let config = aws.config(settings).await;
        let stream =
            ocean_kinesis::KinesisStream::new(config, stream_prefix, checkpoint_table, *shards);
        stream
            .create_checkpoint_table()
            .await
            .with_context(|| format!("creating dynamodb table {checkpoint_table}"))?;
        done.push(format!(
            "dynamodb table {checkpoint_table} (stream checkpoints)"
        ));
        stream
            .create_stream(VOTES_STREAM)
            .await
            .with_context(|| format!("creating kinesis stream {stream_prefix}{VOTES_STREAM}"))?;
        done.push(format!(
            "kinesis stream {stream_prefix}{VOTES_STREAM} ({shards} shards)"
        ));
    }
    if let QueueBackend::Sqs {
        queue_prefix,
        max_receives,
    } = &settings.queue
    {
        let config = aws.config(settings).await;
        let queues = ocean_sqs::SqsQueue::new(config, queue_prefix, *max_receives);
        for name in JOB_QUEUES {
            queues
                .create_queue(name)
                .await
                .with_context(|| format!("creating sqs queue {queue_prefix}{name}"))?;
            done.push(format!(
                "sqs queue {queue_prefix}{name} and its dead-letter queue"
            ));
        }
    }
    Ok(done)
}
