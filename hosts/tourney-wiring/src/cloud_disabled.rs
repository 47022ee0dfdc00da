//! Without the `cloud` feature: no AWS or PostgreSQL backend is built in, so every such
//! setting is refused by `open` and `init_aws` has nothing to create with.

use std::sync::Arc;

use anyhow::{Result, bail};
use ocean::{JobQueue, Media, Notifications, Places, Records, Search, Settings, Stream};

/// Stands in for the AWS SDK configuration of the `cloud` feature.
#[derive(Debug, Default)]
pub(crate) struct Aws {
    _private: (),
}

macro_rules! not_built_in {
    ($($name:ident: $port:ty),* $(,)?) => {$(
        /// Always `None`: the backend is not built in.
        pub(crate) async fn $name<App>(
            _aws: &mut Aws,
            _settings: &Settings<App>,
        ) -> Result<Option<Arc<$port>>> {
            Ok(None)
        }
    )*};
}

not_built_in!(
    records: dyn Records,
    media: dyn Media,
    stream: dyn Stream,
    queue: dyn JobQueue,
    notifications: dyn Notifications,
);

/// Always `None`: the backend is not built in.
pub(crate) async fn places<App>(_settings: &Settings<App>) -> Result<Option<Arc<dyn Places>>> {
    Ok(None)
}

/// Always `None`: the backend is not built in.
pub(crate) async fn search<App>(_settings: &Settings<App>) -> Result<Option<Arc<dyn Search>>> {
    Ok(None)
}

/// Refuses: this binary has no AWS backend to create resources for.
pub async fn init_aws<App>(_settings: &Settings<App>) -> Result<Vec<String>> {
    bail!("init-aws needs the AWS backends: build with the `cloud` feature")
}
