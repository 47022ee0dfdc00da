//! Wrappers that implement every port by delegating to a real one until a planned fault, so
//! "the worker dies mid-batch" is a plain test.
//!
//! One [`FaultPlan`] can be shared by the wrappers of several ports: it counts their calls
//! together, the way a process's calls are ordered before it dies. Calls `1..=n` pass; call
//! `n + 1` is the fault; every later call is refused too (a dead process stays dead) until
//! [`FaultPlan::heal`]. The fault is [`ocean::Error::Unavailable`], what a lost connection
//! looks like, with the wrapped port's name as its backend (`records`, `stream`, `places`...),
//! so an error message says which port failed.
//!
//! ```
//! use std::sync::Arc;
//! use ocean_conformance::faulty::{FaultMode, FaultPlan, Faulty};
//!
//! let plan = FaultPlan::fail_after(3, FaultMode::ApplyThenFail);
//! # fn wrap(records: Arc<dyn ocean::Records>, plan: Arc<FaultPlan>) -> Arc<dyn ocean::Records> {
//! let records: Arc<dyn ocean::Records> = Arc::new(Faulty::new(records, plan));
//! # records }
//! assert_eq!(plan.calls(), 0);
//! ```

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use ocean::media::{Object, ObjectKey, ObjectMeta, PresignedUpload, ReadAccess, UploadRequest};
use ocean::notifications::{Device, Endpoint, Push, SentPush};
use ocean::places::{LoadSummary, NearbyPlace, Place};
use ocean::queue::{Delivery, Receipt};
use ocean::records::{Item, Key, Page, Query, Write};
use ocean::search::Hit;
use ocean::stream::{Batch, NewRecord, Position};
use ocean::{Error, JobQueue, Media, Notifications, Places, Records, Result, Search, Stream};

/// What the faulty call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultMode {
    /// The call never reaches the backend (the process died just before it).
    Refuse,
    /// The call reaches the backend and takes effect, then reports failure (the process died
    /// before it saw the answer): the ambiguous case exactly-once designs must survive.
    ApplyThenFail,
}

/// When wrapped ports fail, shared by every wrapper built with it.
#[derive(Debug)]
pub struct FaultPlan {
    /// Calls still allowed before the fault; `u64::MAX` never faults.
    calls_left: AtomicU64,
    calls: AtomicU64,
    faults: AtomicU64,
    /// Whether the next call without allowance is the planned fault (not yet happened).
    fault_pending: AtomicBool,
    mode: FaultMode,
}

/// The error inside [`Error::Unavailable`] for an injected fault.
#[derive(Debug)]
pub struct InjectedFault {
    /// The number of the call that faulted (1-based).
    pub call: u64,
}

impl fmt::Display for InjectedFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "injected fault at call {}", self.call)
    }
}

impl std::error::Error for InjectedFault {}

/// What to do with one call.
enum Admission {
    Pass,
    Refuse(u64),
    ApplyThenFail(u64),
}

impl FaultPlan {
    /// A plan that lets `n_calls` calls through, then faults in `mode`.
    pub fn fail_after(n_calls: u64, mode: FaultMode) -> Arc<Self> {
        Arc::new(Self {
            calls_left: AtomicU64::new(n_calls),
            calls: AtomicU64::new(0),
            faults: AtomicU64::new(0),
            fault_pending: AtomicBool::new(true),
            mode,
        })
    }

    /// A plan that never faults (until [`FaultPlan::fail_after_more`]).
    pub fn never() -> Arc<Self> {
        Self::fail_after(u64::MAX, FaultMode::Refuse)
    }

    /// Lets `n_calls` more calls through from now, then faults again.
    pub fn fail_after_more(&self, n_calls: u64) {
        self.fault_pending.store(true, Ordering::SeqCst);
        self.calls_left.store(n_calls, Ordering::SeqCst);
    }

    /// Stops faulting: every call passes from now on (the process restarted).
    pub fn heal(&self) {
        self.calls_left.store(u64::MAX, Ordering::SeqCst);
    }

    /// Calls seen so far, faulty ones included.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::SeqCst)
    }

    /// Calls that failed because of the plan.
    pub fn faults(&self) -> u64 {
        self.faults.load(Ordering::SeqCst)
    }

    /// Whether the fault has happened and not been healed.
    pub fn tripped(&self) -> bool {
        self.calls_left.load(Ordering::SeqCst) == 0
    }

    fn admit(&self) -> Admission {
        let call = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
        let allowance = self
            .calls_left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| match left {
                0 | u64::MAX => None,
                left => Some(left - 1),
            });
        if allowance != Err(0) {
            return Admission::Pass;
        }
        self.faults.fetch_add(1, Ordering::SeqCst);
        // The first call to find no allowance left is the fault itself and follows the mode;
        // the calls after it find a dead process.
        if self.fault_pending.swap(false, Ordering::SeqCst) {
            match self.mode {
                FaultMode::Refuse => Admission::Refuse(call),
                FaultMode::ApplyThenFail => Admission::ApplyThenFail(call),
            }
        } else {
            Admission::Refuse(call)
        }
    }

    fn fault(port: &'static str, call: u64) -> Error {
        Error::Unavailable {
            backend: port,
            source: Box::new(InjectedFault { call }),
        }
    }
}

/// The name of a port a [`Faulty`] can wrap, used as the backend of its injected faults.
pub trait PortName {
    /// `records`, `media`, `stream`, `queue`, `places`, `search` or `notifications`.
    const NAME: &'static str;
}

impl PortName for dyn Records {
    const NAME: &'static str = "records";
}

impl PortName for dyn Media {
    const NAME: &'static str = "media";
}

impl PortName for dyn Stream {
    const NAME: &'static str = "stream";
}

impl PortName for dyn JobQueue {
    const NAME: &'static str = "queue";
}

impl PortName for dyn Places {
    const NAME: &'static str = "places";
}

impl PortName for dyn Search {
    const NAME: &'static str = "search";
}

impl PortName for dyn Notifications {
    const NAME: &'static str = "notifications";
}

/// A port wrapper that follows a [`FaultPlan`]; implements whichever port `P` is.
pub struct Faulty<P: ?Sized> {
    inner: Arc<P>,
    plan: Arc<FaultPlan>,
}

impl<P: ?Sized + fmt::Debug> fmt::Debug for Faulty<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faulty")
            .field("inner", &self.inner)
            .field("plan", &self.plan)
            .finish()
    }
}

impl<P: ?Sized> Faulty<P> {
    /// Wraps `inner`, failing as `plan` says.
    pub fn new(inner: Arc<P>, plan: Arc<FaultPlan>) -> Self {
        Self { inner, plan }
    }

    /// The shared plan.
    pub fn plan(&self) -> &Arc<FaultPlan> {
        &self.plan
    }
}

impl<P: ?Sized + PortName> Faulty<P> {
    async fn call<T>(&self, call: impl Future<Output = Result<T>>) -> Result<T> {
        match self.plan.admit() {
            Admission::Pass => call.await,
            Admission::Refuse(n) => Err(FaultPlan::fault(P::NAME, n)),
            Admission::ApplyThenFail(n) => {
                let _ignored = call.await;
                Err(FaultPlan::fault(P::NAME, n))
            }
        }
    }
}

#[async_trait]
impl Records for Faulty<dyn Records> {
    async fn get(&self, key: &Key) -> Result<Option<Item>> {
        self.call(self.inner.get(key)).await
    }

    async fn get_many(&self, keys: &[Key]) -> Result<Vec<Option<Item>>> {
        self.call(self.inner.get_many(keys)).await
    }

    async fn query(&self, query: &Query) -> Result<Page> {
        self.call(self.inner.query(query)).await
    }

    async fn write(&self, write: Write) -> Result<()> {
        self.call(self.inner.write(write)).await
    }

    async fn commit(&self, writes: Vec<Write>) -> Result<()> {
        self.call(self.inner.commit(writes)).await
    }

    async fn write_batch(&self, writes: Vec<Write>) -> Result<()> {
        self.call(self.inner.write_batch(writes)).await
    }
}

#[async_trait]
impl Media for Faulty<dyn Media> {
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<()> {
        self.call(self.inner.put(key, bytes, content_type)).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Object> {
        self.call(self.inner.get(key)).await
    }

    async fn head(&self, key: &ObjectKey) -> Result<ObjectMeta> {
        self.call(self.inner.head(key)).await
    }

    async fn delete(&self, key: &ObjectKey) -> Result<()> {
        self.call(self.inner.delete(key)).await
    }

    /// Signing does no I/O, so it never faults.
    fn presign_upload(&self, request: &UploadRequest) -> Result<PresignedUpload> {
        self.inner.presign_upload(request)
    }

    /// Signing does no I/O, so it never faults.
    fn read_url(&self, key: &ObjectKey, access: ReadAccess) -> Result<String> {
        self.inner.read_url(key, access)
    }
}

#[async_trait]
impl Stream for Faulty<dyn Stream> {
    async fn append(&self, stream: &str, records: Vec<NewRecord>) -> Result<()> {
        self.call(self.inner.append(stream, records)).await
    }

    async fn read(
        &self,
        stream: &str,
        after: Option<&Position>,
        max_records: u32,
    ) -> Result<Batch> {
        self.call(self.inner.read(stream, after, max_records)).await
    }

    async fn read_until(
        &self,
        stream: &str,
        after: Option<&Position>,
        until: &Position,
        max_records: u32,
    ) -> Result<Batch> {
        self.call(self.inner.read_until(stream, after, until, max_records))
            .await
    }

    async fn checkpoint(&self, stream: &str, consumer: &str) -> Result<Option<Position>> {
        self.call(self.inner.checkpoint(stream, consumer)).await
    }

    async fn commit_checkpoint(
        &self,
        stream: &str,
        consumer: &str,
        expected: Option<&Position>,
        next: &Position,
    ) -> Result<()> {
        self.call(
            self.inner
                .commit_checkpoint(stream, consumer, expected, next),
        )
        .await
    }
}

#[async_trait]
impl JobQueue for Faulty<dyn JobQueue> {
    async fn send(&self, queue: &str, body: Vec<u8>) -> Result<String> {
        self.call(self.inner.send(queue, body)).await
    }

    async fn receive(
        &self,
        queue: &str,
        max_messages: u32,
        visibility: Duration,
    ) -> Result<Vec<Delivery>> {
        self.call(self.inner.receive(queue, max_messages, visibility))
            .await
    }

    async fn ack(&self, queue: &str, receipt: &Receipt) -> Result<()> {
        self.call(self.inner.ack(queue, receipt)).await
    }

    async fn set_visibility(
        &self,
        queue: &str,
        receipt: &Receipt,
        visibility: Duration,
    ) -> Result<()> {
        self.call(self.inner.set_visibility(queue, receipt, visibility))
            .await
    }
}

#[async_trait]
impl Places for Faulty<dyn Places> {
    async fn nearest(
        &self,
        lat: f64,
        lon: f64,
        max_distance_km: Option<f64>,
    ) -> Result<Option<NearbyPlace>> {
        self.call(self.inner.nearest(lat, lon, max_distance_km))
            .await
    }

    async fn get(&self, id: &str) -> Result<Option<Place>> {
        self.call(self.inner.get(id)).await
    }

    async fn in_region(&self, country: &str, region: &str, limit: u32) -> Result<Vec<Place>> {
        self.call(self.inner.in_region(country, region, limit))
            .await
    }

    async fn load(&self, places: Vec<Place>) -> Result<LoadSummary> {
        self.call(self.inner.load(places)).await
    }

    async fn count(&self) -> Result<u64> {
        self.call(self.inner.count()).await
    }
}

#[async_trait]
impl Search for Faulty<dyn Search> {
    async fn index(&self, namespace: &str, term: &str) -> Result<()> {
        self.call(self.inner.index(namespace, term)).await
    }

    async fn remove(&self, namespace: &str, term: &str) -> Result<()> {
        self.call(self.inner.remove(namespace, term)).await
    }

    async fn search(&self, namespace: &str, query: &str, limit: u32) -> Result<Vec<Hit>> {
        self.call(self.inner.search(namespace, query, limit)).await
    }
}

#[async_trait]
impl Notifications for Faulty<dyn Notifications> {
    async fn register(&self, device: &Device) -> Result<Endpoint> {
        self.call(self.inner.register(device)).await
    }

    async fn send(&self, endpoint: &Endpoint, push: &Push) -> Result<()> {
        self.call(self.inner.send(endpoint, push)).await
    }

    async fn sent(&self, endpoint: Option<&Endpoint>, limit: u32) -> Result<Vec<SentPush>> {
        self.call(self.inner.sent(endpoint, limit)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admissions(plan: &FaultPlan, n_calls: usize) -> Vec<&'static str> {
        (0..n_calls)
            .map(|_| match plan.admit() {
                Admission::Pass => "pass",
                Admission::Refuse(_) => "refuse",
                Admission::ApplyThenFail(_) => "apply-then-fail",
            })
            .collect()
    }

    #[test]
    fn calls_up_to_n_pass_then_the_fault_then_a_dead_process() {
        let plan = FaultPlan::fail_after(2, FaultMode::ApplyThenFail);
        assert_eq!(
            admissions(&plan, 5),
            ["pass", "pass", "apply-then-fail", "refuse", "refuse"]
        );
        assert!(plan.tripped());
        assert_eq!((plan.calls(), plan.faults()), (5, 3));
    }

    #[test]
    fn refuse_mode_never_applies_the_faulty_call() {
        let plan = FaultPlan::fail_after(0, FaultMode::Refuse);
        assert_eq!(admissions(&plan, 2), ["refuse", "refuse"]);
    }

    #[test]
    fn healing_and_rearming_restart_the_count() {
        let plan = FaultPlan::fail_after(1, FaultMode::ApplyThenFail);
        assert_eq!(admissions(&plan, 2), ["pass", "apply-then-fail"]);
        plan.heal();
        assert!(!plan.tripped());
        assert_eq!(admissions(&plan, 3), ["pass", "pass", "pass"]);
        plan.fail_after_more(1);
        assert_eq!(admissions(&plan, 3), ["pass", "apply-then-fail", "refuse"]);
    }

    #[test]
    fn a_plan_that_never_faults_passes_everything() {
        let plan = FaultPlan::never();
        assert!(admissions(&plan, 100).iter().all(|a| *a == "pass"));
        assert_eq!(plan.faults(), 0);
    }

    #[test]
    fn the_fault_is_a_retryable_unavailable_error_naming_the_call() {
        let error = FaultPlan::fault("records", 7);
        assert!(error.is_retryable());
        let source = std::error::Error::source(&error).map(ToString::to_string);
        assert_eq!(source.as_deref(), Some("injected fault at call 7"));
    }

    #[test]
    fn the_fault_names_the_wrapped_port() {
        let plan = FaultPlan::fail_after(0, FaultMode::Refuse);
        let stream: Arc<dyn Stream> = Arc::new(NoStream);
        let faulty = Faulty::new(stream, plan);
        // A refused call never awaits the port, so one poll finishes it.
        let mut call = std::pin::pin!(faulty.checkpoint("votes", "scorer"));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(answer) = call.as_mut().poll(&mut context) else {
            panic!("a refused call finishes at once");
        };
        let error = answer.unwrap_err();
        assert!(
            matches!(
                error,
                Error::Unavailable {
                    backend: "stream",
                    ..
                }
            ),
            "{error:?}"
        );
        assert_eq!(error.to_string(), "stream is unavailable");
    }

    /// A stream that is never called (every call of the test is refused before it).
    #[derive(Debug)]
    struct NoStream;

    #[async_trait]
    impl Stream for NoStream {
        async fn append(&self, _: &str, _: Vec<NewRecord>) -> Result<()> {
            unreachable!("refused before the call")
        }

        async fn read(&self, _: &str, _: Option<&Position>, _: u32) -> Result<Batch> {
            unreachable!("refused before the call")
        }

        async fn read_until(
            &self,
            _: &str,
            _: Option<&Position>,
            _: &Position,
            _: u32,
        ) -> Result<Batch> {
            unreachable!("refused before the call")
        }

        async fn checkpoint(&self, _: &str, _: &str) -> Result<Option<Position>> {
            unreachable!("refused before the call")
        }

        async fn commit_checkpoint(
            &self,
            _: &str,
            _: &str,
            _: Option<&Position>,
            _: &Position,
        ) -> Result<()> {
            unreachable!("refused before the call")
        }
    }
}
