//! Comments over HTTP: 403 naming the registration status, 201 with the comment, 400
//! naming `text`, 415 for a non-JSON body, oldest first with paging, 404 for unknown
//! photos.

use serde_json::json;

use crate::support::{call, ready_photos, registered, sign_up, start_with_places};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn comments_need_registration_and_list_oldest_first() {
    let server = start_with_places().await;
    let photo = ready_photos(&server, 1, 500).await.remove(0);
    let path = format!("/v1/photos/{}/comments", photo.id);

    let (_, newcomer) = sign_up(&server).await;
    let refused = call(
        &server,
        "POST",
        &path,
        &newcomer,
        Some(json!({"text": "hi"})),
    )
    .await;
    let body = refused.assert_error(403, "forbidden");
    assert!(
        body["message"].as_str().unwrap().contains("need name"),
        "{body}"
    );

    let (_, ann) = registered(&server, "Ann", 501).await;
    let mut written = Vec::new();
    for n in 0..3 {
        let text = format!("comment {n} 🎉");
        let created = call(&server, "POST", &path, &ann, Some(json!({"text": text}))).await;
        assert_eq!(created.status, 201, "{}", created.text());
        let comment = created.json();
        assert_eq!(comment["text"], text);
        assert_eq!(comment["user"]["user_name"], "Ann");
        assert_eq!(comment["photo_id"], photo.id);
        written.push(comment["id"].as_str().unwrap().to_owned());
    }
    let long = "x".repeat(301);
    let too_long = call(&server, "POST", &path, &ann, Some(json!({"text": long}))).await;
    assert_eq!(too_long.assert_error(400, "invalid")["field"], "text");
    let not_json = server
        .request(
            "POST",
            &path,
            &[
                ("authorization", &format!("Bearer {ann}")),
                ("content-type", "text/plain"),
            ],
            b"hello".to_vec(),
        )
        .await;
    assert_eq!(not_json.status, 415, "{}", not_json.text());

    let mut listed = Vec::new();
    let mut next = format!("{path}?count=2");
    loop {
        let page = call(&server, "GET", &next, &newcomer, None).await;
        assert_eq!(page.status, 200, "{}", page.text());
        let body = page.json();
        for item in body["items"].as_array().unwrap() {
            listed.push(item["id"].as_str().unwrap().to_owned());
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}?count=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(listed, written, "oldest first, every comment once");

    let unknown = format!("/v1/photos/{}/comments", "0".repeat(32));
    call(&server, "GET", &unknown, &ann, None)
        .await
        .assert_error(404, "not_found");
    server.stop().await;
}
