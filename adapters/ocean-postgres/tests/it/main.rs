//! Integration tests of the PostgreSQL adapters against a real server: each test creates a
//! database of its own (`ocean_test_...`) on the server `OCEAN_TEST_POSTGRES_URL` names
//! (default `postgres://postgres@127.0.0.1:5432/test`) and drops it when done.

mod errors;
mod migrations;
mod places;
mod search;
mod support;
