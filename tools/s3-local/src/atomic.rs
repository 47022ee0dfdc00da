//! s3s-fs with S3's atomicity per key: an object's bytes and its attributes (content type,
//! user metadata, ETag) are separate files in s3s-fs, each replaced by its own rename, so a
//! read racing a write could pair one write's bytes with another's content type. Here every
//! write of a key holds that key's lock exclusively and every read holds it shared, as S3
//! itself never shows a mix.
//!
//! A read only needs the lock while s3s-fs opens the object's file and loads its attributes:
//! the body then streams from the open file, which a later rename does not change.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result};
use s3s_fs::FileSystem;
use tokio::sync::{RwLock, RwLockWriteGuard};

/// Locks shared by all keys: a key uses the stripe its hash picks (enough to keep readers
/// and writers of one key apart; unrelated keys rarely share one).
const N_STRIPES: usize = 64;

/// [`FileSystem`] behind per-key locks; every operation s3s-fs implements is passed through.
#[derive(Debug)]
pub(crate) struct AtomicFileSystem {
    /// The real s3s-fs store.
    inner: FileSystem,
    /// The lock stripes.
    stripes: Vec<RwLock<()>>,
}

impl AtomicFileSystem {
    /// Wraps `inner`.
    pub(crate) fn new(inner: FileSystem) -> Self {
        Self {
            inner,
            stripes: (0..N_STRIPES).map(|_| RwLock::new(())).collect(),
        }
    }

    /// The stripe index of `bucket`/`key`.
    fn stripe_idx(bucket: &str, key: &str) -> usize {
        let mut hasher = DefaultHasher::new();
        (bucket, key).hash(&mut hasher);
        (hasher.finish() % N_STRIPES as u64) as usize
    }

    /// The lock of `bucket`/`key`.
    fn lock(&self, bucket: &str, key: &str) -> &RwLock<()> {
        &self.stripes[Self::stripe_idx(bucket, key)]
    }

    /// Exclusive guards for every key of `bucket` in `keys`, taken in stripe order so two
    /// batch deletes cannot deadlock.
    async fn lock_all(&self, bucket: &str, keys: &[String]) -> Vec<RwLockWriteGuard<'_, ()>> {
        let mut stripe_idxs: Vec<usize> = keys
            .iter()
            .map(|key| Self::stripe_idx(bucket, key))
            .collect();
        stripe_idxs.sort_unstable();
        stripe_idxs.dedup();
        let mut guards = Vec::with_capacity(stripe_idxs.len());
        for stripe_idx in stripe_idxs {
            guards.push(self.stripes[stripe_idx].write().await);
        }
        guards
    }
}

#[async_trait::async_trait]
impl S3 for AtomicFileSystem {
    async fn get_object(
        &self,
        req: S3Request<GetObjectInput>,
    ) -> S3Result<S3Response<GetObjectOutput>> {
        let _shared = self.lock(&req.input.bucket, &req.input.key).read().await;
        self.inner.get_object(req).await
    }

    async fn head_object(
        &self,
        req: S3Request<HeadObjectInput>,
    ) -> S3Result<S3Response<HeadObjectOutput>> {
        let _shared = self.lock(&req.input.bucket, &req.input.key).read().await;
        self.inner.head_object(req).await
    }

    // `post_object` (a browser form upload) is the trait's default: it calls this method.
    async fn put_object(
        &self,
        req: S3Request<PutObjectInput>,
    ) -> S3Result<S3Response<PutObjectOutput>> {
        let _exclusive = self.lock(&req.input.bucket, &req.input.key).write().await;
        self.inner.put_object(req).await
    }

    async fn delete_object(
        &self,
        req: S3Request<DeleteObjectInput>,
    ) -> S3Result<S3Response<DeleteObjectOutput>> {
        let _exclusive = self.lock(&req.input.bucket, &req.input.key).write().await;
        self.inner.delete_object(req).await
    }

    async fn delete_objects(
        &self,
        req: S3Request<DeleteObjectsInput>,
    ) -> S3Result<S3Response<DeleteObjectsOutput>> {
        let keys: Vec<String> = req
            .input
            .delete
            .objects
            .iter()
            .map(|object| object.key.clone())
            .collect();
        let _exclusive = self.lock_all(&req.input.bucket, &keys).await;
        self.inner.delete_objects(req).await
    }

    async fn copy_object(
        &self,
        req: S3Request<CopyObjectInput>,
    ) -> S3Result<S3Response<CopyObjectOutput>> {
        let _exclusive = self.lock(&req.input.bucket, &req.input.key).write().await;
        self.inner.copy_object(req).await
    }

    async fn complete_multipart_upload(
        &self,
        req: S3Request<CompleteMultipartUploadInput>,
    ) -> S3Result<S3Response<CompleteMultipartUploadOutput>> {
        let _exclusive = self.lock(&req.input.bucket, &req.input.key).write().await;
        self.inner.complete_multipart_upload(req).await
    }

    async fn create_bucket(
        &self,
        req: S3Request<CreateBucketInput>,
    ) -> S3Result<S3Response<CreateBucketOutput>> {
        self.inner.create_bucket(req).await
    }

    async fn delete_bucket(
        &self,
        req: S3Request<DeleteBucketInput>,
    ) -> S3Result<S3Response<DeleteBucketOutput>> {
        self.inner.delete_bucket(req).await
    }

    async fn get_bucket_location(
        &self,
        req: S3Request<GetBucketLocationInput>,
    ) -> S3Result<S3Response<GetBucketLocationOutput>> {
        self.inner.get_bucket_location(req).await
    }

    async fn head_bucket(
        &self,
        req: S3Request<HeadBucketInput>,
    ) -> S3Result<S3Response<HeadBucketOutput>> {
        self.inner.head_bucket(req).await
    }

    async fn list_buckets(
        &self,
        req: S3Request<ListBucketsInput>,
    ) -> S3Result<S3Response<ListBucketsOutput>> {
        self.inner.list_buckets(req).await
    }

    async fn list_objects(
        &self,
        req: S3Request<ListObjectsInput>,
    ) -> S3Result<S3Response<ListObjectsOutput>> {
        self.inner.list_objects(req).await
    }

    async fn list_objects_v2(
        &self,
        req: S3Request<ListObjectsV2Input>,
    ) -> S3Result<S3Response<ListObjectsV2Output>> {
        self.inner.list_objects_v2(req).await
    }

    async fn create_multipart_upload(
        &self,
        req: S3Request<CreateMultipartUploadInput>,
    ) -> S3Result<S3Response<CreateMultipartUploadOutput>> {
        self.inner.create_multipart_upload(req).await
    }

    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        self.inner.upload_part(req).await
    }

    async fn upload_part_copy(
        &self,
        req: S3Request<UploadPartCopyInput>,
    ) -> S3Result<S3Response<UploadPartCopyOutput>> {
        self.inner.upload_part_copy(req).await
    }

    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        self.inner.list_parts(req).await
    }

    async fn abort_multipart_upload(
        &self,
        req: S3Request<AbortMultipartUploadInput>,
    ) -> S3Result<S3Response<AbortMultipartUploadOutput>> {
        self.inner.abort_multipart_upload(req).await
    }
}

#[cfg(test)]
mod tests {
    use super::{AtomicFileSystem, N_STRIPES};

    #[test]
    fn a_key_always_uses_the_same_stripe() {
        let first = AtomicFileSystem::stripe_idx("bucket", "photos/a.jpg");
        assert_eq!(
            AtomicFileSystem::stripe_idx("bucket", "photos/a.jpg"),
            first
        );
        assert!(first < N_STRIPES);
    }
}
