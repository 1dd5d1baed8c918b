//! Fresh databases for tests: a SQLite file in a temporary folder, and a new PostgreSQL database
//! on the server named by `REPLAY_VISION_TEST_POSTGRES_URL` (the test script starts one on
//! loopback and sets it).

use replay_vision::store::Store;

/// A store on a fresh database, and what keeps it alive.
pub struct TestStore {
    pub store: Store,
    pub url: String,
    _folder: Option<tempfile::TempDir>,
}

/// A store on a new SQLite file.
pub async fn sqlite() -> TestStore {
    let folder = tempfile::tempdir().expect("temporary folder");
    let url = format!("sqlite://{}", folder.path().join("store.db").display());
    let store = Store::connect(&url).await.expect("SQLite store opens");
    TestStore {
        store,
        url,
        _folder: Some(folder),
    }
}

/// A store on a new PostgreSQL database. Panics with the fix when no server is configured,
/// because a silently skipped test proves nothing.
pub async fn postgres() -> TestStore {
    let url = postgres_database().await;
    let store = Store::connect(&url).await.expect("PostgreSQL store opens");
    TestStore {
        store,
        url,
        _folder: None,
    }
}

/// Creates an empty PostgreSQL database and returns its URL.
pub async fn postgres_database() -> String {
    let base = std::env::var("REPLAY_VISION_TEST_POSTGRES_URL").expect(
        "REPLAY_VISION_TEST_POSTGRES_URL is not set; run the tests with `make test`, which \
         starts PostgreSQL on loopback and sets it",
    );
    let name = format!("rv_test_{}", uuid_like());
    sqlx::any::install_default_drivers();
    let mut admin = <sqlx::AnyConnection as sqlx::Connection>::connect(&base)
        .await
        .expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create a test database");
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database path");
    format!("{prefix}/{name}")
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or(0);
    format!("{}_{:x}", std::process::id(), nanos)
}
