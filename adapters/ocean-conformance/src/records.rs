//! Conformance checks for the records port: reads, conditional writes and their races,
//! all-or-nothing commits, `get_many`, queries on the primary key and on secondary indexes
//! (byte-wise order, ranges, cursor paging), batch writes and input validation.
//!
//! Primary-key reads must reflect a completed write at once. Secondary-index reads may lag
//! briefly, so checks that read an index after writing retry until the index shows what they
//! expect (see [`INDEX_LAG`]); a backend with consistent indexes passes on the first read.

mod batch;
mod commit;
mod index;
mod query;
mod reads;
mod support;
mod validation;
mod writes;

use std::time::Duration;

use ocean::Records;

pub use batch::{
    write_batch_applies_puts_and_deletes, write_batch_of_many_writes,
    write_batch_rejects_conditions_and_checks, write_batch_retry_is_idempotent,
};
pub use commit::{
    commit_applies_every_write, commit_conflict_names_the_first_failing_write, commit_size_limits,
    commit_with_a_key_twice_is_invalid, concurrent_commits_are_serialisable,
    concurrent_commits_on_one_version_have_one_winner, failed_commit_applies_nothing,
};
pub use index::{
    index_and_primary_partitions_are_isolated, index_cursor_survives_changes,
    index_entries_follow_deletes, index_entries_follow_puts,
    index_lists_items_under_their_index_key, index_ties_come_in_primary_key_order,
};
pub use query::{
    query_between_range_includes_both_ends, query_cursor_survives_changes, query_limit_is_honoured,
    query_of_an_empty_partition_is_empty, query_orders_by_sort_key,
    query_pages_visit_every_item_once, query_partitions_are_isolated, query_prefix_range,
    query_rejects_a_bad_partition, query_rejects_a_garbage_cursor, query_rejects_bad_limits,
    query_sorts_byte_wise,
};
pub use reads::{
    get_many_keeps_order_and_gaps, get_many_of_no_keys_is_empty, get_many_reads_many_keys,
    get_of_a_missing_key_is_none,
};
pub use validation::{
    invalid_keys_and_bodies_are_rejected, invalid_read_keys_are_rejected,
    largest_inputs_are_accepted,
};
pub use writes::{
    check_alone_is_a_conditional_read, create_if_absent_conflicts_on_an_existing_item,
    create_if_absent_race_has_one_winner, delete_always_removes_whatever_is_there,
    delete_if_absent, delete_if_version, empty_body_is_allowed, extreme_versions_round_trip,
    put_replaces_the_whole_item, put_then_get_round_trips, update_if_stale_version_conflicts,
    update_if_version_of_a_missing_item_conflicts, update_if_version_race_has_one_winner,
    update_if_version_stores_the_new_version,
};

/// Longest a secondary index may lag a completed write before a check gives up on it.
pub const INDEX_LAG: Duration = Duration::from_secs(10);

/// Runs every records check, one after another, each in fresh partitions.
pub async fn run_all(records: &dyn Records) {
    get_of_a_missing_key_is_none(records).await;
    put_then_get_round_trips(records).await;
    put_replaces_the_whole_item(records).await;
    empty_body_is_allowed(records).await;
    extreme_versions_round_trip(records).await;
    create_if_absent_conflicts_on_an_existing_item(records).await;
    create_if_absent_race_has_one_winner(records).await;
    update_if_version_stores_the_new_version(records).await;
    update_if_stale_version_conflicts(records).await;
    update_if_version_of_a_missing_item_conflicts(records).await;
    update_if_version_race_has_one_winner(records).await;
    delete_always_removes_whatever_is_there(records).await;
    delete_if_version(records).await;
    delete_if_absent(records).await;
    check_alone_is_a_conditional_read(records).await;
    commit_applies_every_write(records).await;
    failed_commit_applies_nothing(records).await;
    commit_conflict_names_the_first_failing_write(records).await;
    commit_size_limits(records).await;
    commit_with_a_key_twice_is_invalid(records).await;
    concurrent_commits_on_one_version_have_one_winner(records).await;
    concurrent_commits_are_serialisable(records).await;
    get_many_keeps_order_and_gaps(records).await;
    get_many_reads_many_keys(records).await;
    get_many_of_no_keys_is_empty(records).await;
    query_orders_by_sort_key(records).await;
    query_sorts_byte_wise(records).await;
    query_prefix_range(records).await;
    query_between_range_includes_both_ends(records).await;
    query_limit_is_honoured(records).await;
    query_pages_visit_every_item_once(records).await;
    query_cursor_survives_changes(records).await;
    query_partitions_are_isolated(records).await;
    query_of_an_empty_partition_is_empty(records).await;
    query_rejects_bad_limits(records).await;
    query_rejects_a_garbage_cursor(records).await;
    query_rejects_a_bad_partition(records).await;
    index_lists_items_under_their_index_key(records).await;
    index_ties_come_in_primary_key_order(records).await;
    index_cursor_survives_changes(records).await;
    index_entries_follow_puts(records).await;
    index_entries_follow_deletes(records).await;
    index_and_primary_partitions_are_isolated(records).await;
    write_batch_applies_puts_and_deletes(records).await;
    write_batch_rejects_conditions_and_checks(records).await;
    write_batch_of_many_writes(records).await;
    write_batch_retry_is_idempotent(records).await;
    invalid_keys_and_bodies_are_rejected(records).await;
    invalid_read_keys_are_rejected(records).await;
    largest_inputs_are_accepted(records).await;
}
