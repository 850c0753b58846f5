//! Who may use the senders API: OWNER and ADMIN of an organization with the `custom-smtp` feature (or with the
//! instance setting on), and instance admins; nobody else, and nothing changes or connects when they are refused.

use super::*;
use crate::helpers::Answer;
use crate::helpers::email::closed_port;
use convene_core::{SenderId, TeamId};
use convene_store::smtp_senders::{self};
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn members_other_organizations_and_strangers_can_neither_read_nor_change_a_sender() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let id = rig.create_id(body.clone()).await;
    let before = rig.record(id).await;
    let globex = senders_of(rig.other_org);

    let forbidden = [
        ("MEMBER", &rig.member.key),
        ("another organization's ADMIN", &rig.other_admin.key),
        ("a user of no organization", &rig.outsider.key),
    ];
    for (route, method, path, request) in routes(&rig.base(), id, &body) {
        for (who, key) in forbidden {
            let answer = rig.call(method.clone(), &path, Some(key), request.clone()).await;
            answer.expect_error(StatusCode::FORBIDDEN);
            assert!(answer.body.get("data").is_none(), "{who} on {route}: {}", answer.body);
        }
        for key in [None, Some("cal_live_not-a-real-key")] {
            let answer = rig.call(method.clone(), &path, key, request.clone()).await;
            answer.expect_error(StatusCode::UNAUTHORIZED);
            assert!(
                answer.body.get("data").is_none(),
                "{route} with {key:?}: {}",
                answer.body
            );
        }
    }
    // Through its own organization's path, another organization's admin finds no such sender.
    for (route, method, path, request) in routes(&globex, id, &body) {
        if matches!(route, "list" | "create" | "test unsaved") {
            continue;
        }
        let answer = rig.call(method, &path, Some(&rig.other_admin.key), request).await;
        answer.expect_error(StatusCode::NOT_FOUND);
        assert!(answer.body.get("data").is_none(), "{route}: {}", answer.body);
    }
    let theirs = rig.get(&globex, &rig.other_admin.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
    // And the other way round: acme's owner can't reach globex's sender through acme's path.
    let created = rig.post(&globex, &rig.other_admin.key, body.clone()).await;
    let foreign = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    let foreign_before = smtp_senders::find(&rig.app.db, TeamId(rig.other_org), SenderId(foreign))
        .await
        .expect("read");
    for (route, method, path, request) in routes(&rig.base(), foreign, &body) {
        if matches!(route, "list" | "create" | "test unsaved") {
            continue;
        }
        let answer = rig.call(method, &path, Some(&rig.owner.key), request).await;
        answer.expect_error(StatusCode::NOT_FOUND);
        assert!(answer.body.get("data").is_none(), "{route}: {}", answer.body);
    }
    let foreign_after = smtp_senders::find(&rig.app.db, TeamId(rig.other_org), SenderId(foreign))
        .await
        .expect("read");
    assert_eq!(
        foreign_after.map(|r| (r.from_name, r.smtp_password_sealed, r.version)),
        foreign_before.map(|r| (r.from_name, r.smtp_password_sealed, r.version))
    );

    // Nothing changed, nothing was tested, nothing was sent.
    let after = rig.record(id).await;
    assert_eq!(
        (
            &after.from_name,
            &after.smtp_password_sealed,
            after.version,
            &after.health_status
        ),
        (
            &before.from_name,
            &before.smtp_password_sealed,
            before.version,
            &before.health_status
        )
    );
    assert_eq!(rig.list().await.len(), 1);
    assert_eq!(smtp.connections(), 0, "a refused caller made the server connect");
    assert_eq!(rig.platform.connections(), 0);
}

#[tokio::test]
async fn owners_admins_and_instance_admins_can_use_every_route() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let first = rig.create_id(body.clone()).await;
    let callers = [
        ("OWNER", rig.owner.key.clone()),
        ("ADMIN", rig.admin.key.clone()),
        ("instance admin", rig.app.admin_key.clone()),
    ];
    let mut sent = 0;
    for (who, key) in &callers {
        let created = rig.post(&rig.base(), key, body.clone()).await;
        let id = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
        assert_eq!(created.data()["isDefault"], false, "{who}");
        let listed = rig.get(&rig.base(), key).await;
        assert!(
            ids(listed.expect_success(StatusCode::OK).as_array().expect("array")).contains(&id),
            "{who}"
        );
        assert_eq!(
            rig.get(&rig.one(id), key).await.expect_success(StatusCode::OK)["id"],
            id
        );
        let renamed = rig
            .patch(&rig.one(id), key, json!({ "fromName": format!("Renamed by {who}") }))
            .await;
        assert_eq!(
            renamed.expect_success(StatusCode::OK)["fromName"],
            format!("Renamed by {who}")
        );
        let unsaved = rig
            .post(&format!("{}/test-connection", rig.base()), key, body.clone())
            .await;
        assert_eq!(
            unsaved.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            unsaved.body
        );
        let saved = rig
            .call(
                Method::POST,
                &format!("{}/test-connection", rig.one(id)),
                Some(key),
                None,
            )
            .await;
        assert_eq!(
            saved.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            saved.body
        );
        let email = rig
            .post(
                &format!("{}/test-email", rig.one(id)),
                key,
                json!({ "toEmail": "check@example.com" }),
            )
            .await;
        assert_eq!(
            email.expect_success(StatusCode::OK)["success"],
            true,
            "{who}: {}",
            email.body
        );
        sent += 1;
        let deleted = rig.delete(&rig.one(id), key).await;
        assert_eq!(deleted.expect_success(StatusCode::OK)["id"], id);
        rig.get(&rig.one(id), key).await.expect_error(StatusCode::NOT_FOUND);
    }
    assert_eq!(smtp.wait_for_messages(sent, Duration::from_secs(5)).await.len(), sent);
    assert_eq!(ids(&rig.list().await), [first]);
}

#[tokio::test]
async fn without_the_custom_smtp_feature_every_route_is_403_and_says_so() {
    let rig = SenderApi::start(Hosts::Loopback, false, |_| {}).await;
    let smtp = starttls_server(&rig.ca).await;
    let body = smtp_body(smtp.port());
    let check_off = |answer: Answer, who: &str, route: &str| {
        let message = answer.expect_error(StatusCode::FORBIDDEN);
        assert!(message.contains("custom-smtp"), "{who} on {route}: {message}");
        assert!(answer.body.get("data").is_none(), "{}", answer.body);
    };
    for (route, method, path, request) in routes(&rig.base(), 1, &body) {
        for (who, key) in [
            ("OWNER", &rig.owner.key),
            ("ADMIN", &rig.admin.key),
            ("instance admin", &rig.app.admin_key),
        ] {
            check_off(
                rig.call(method.clone(), &path, Some(key), request.clone()).await,
                who,
                route,
            );
        }
    }
    assert_eq!(smtp.connections(), 0);

    // An instance admin turns it on: it works.
    rig.set_feature(rig.org, true).await;
    let id = rig.create_id(body.clone()).await;
    assert_eq!(ids(&rig.list().await), [id]);
    // Off again: 403 again, even for reading, and the sender stays stored.
    rig.set_feature(rig.org, false).await;
    for (route, method, path, request) in routes(&rig.base(), id, &body) {
        check_off(
            rig.call(method, &path, Some(&rig.admin.key), request).await,
            "ADMIN",
            route,
        );
    }
    rig.set_feature(rig.org, true).await;
    assert_eq!(ids(&rig.list().await), [id]);
    // The flag of one organization says nothing about another's.
    let answer = rig.get(&senders_of(rig.other_org), &rig.other_owner.key).await;
    check_off(answer, "globex OWNER", "list");
}

#[tokio::test]
async fn the_instance_setting_turns_custom_smtp_on_for_every_organization() {
    let rig = SenderApi::start(Hosts::Loopback, false, |e| e.custom_smtp_for_all = true).await;
    let id = rig.create_id(smtp_body(closed_port())).await;
    assert_eq!(ids(&rig.list().await), [id]);
    let theirs = rig.get(&senders_of(rig.other_org), &rig.other_admin.key).await;
    assert_eq!(theirs.expect_success(StatusCode::OK), &json!([]));
    // The role rules still hold.
    rig.get(&rig.base(), &rig.member.key)
        .await
        .expect_error(StatusCode::FORBIDDEN);
}
