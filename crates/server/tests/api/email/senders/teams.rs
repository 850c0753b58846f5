//! `teamIds`: a sender serves teams of its own organization, and a team has at most one sender.

use super::*;
use crate::helpers::email::closed_port;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn team_ids_assign_teams_of_this_organization_only() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let body = smtp_body(closed_port());
    let marketing = rig.new_team(rig.org, "Marketing").await;
    let foreign = rig.new_team(rig.other_org, "Their team").await;
    let a = rig.create(with(body.clone(), json!({ "teamIds": [rig.team] }))).await;
    assert_eq!(a["teamIds"], json!([rig.team]));
    let a = a["id"].as_i64().expect("id");
    assert_eq!(rig.sender(a).await["teamIds"], json!([rig.team]));

    // Another organization's team, the organization itself, or no team at all: 400 naming the entry.
    for (team_ids, field) in [
        (json!([foreign]), "teamIds[0]"),
        (json!([rig.team, foreign]), "teamIds[1]"),
        (json!([rig.other_org]), "teamIds[0]"),
        (json!([rig.org]), "teamIds[0]"),
        (json!([987_654_321]), "teamIds[0]"),
    ] {
        rig.post(
            &rig.base(),
            &rig.owner.key,
            with(body.clone(), json!({ "teamIds": team_ids.clone() })),
        )
        .await
        .expect_field_error(field);
        rig.patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": team_ids }))
            .await
            .expect_field_error(field);
    }
    assert_eq!(rig.list().await.len(), 1);
    assert_eq!(rig.sender(a).await["teamIds"], json!([rig.team]));

    let both = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": [rig.team, marketing] }))
        .await;
    let mut got: Vec<i64> = both.expect_success(StatusCode::OK)["teamIds"]
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t.as_i64().expect("team id"))
        .collect();
    got.sort_unstable();
    let mut want = vec![rig.team, marketing];
    want.sort_unstable();
    assert_eq!(got, want);
    // Leaving teamIds out keeps them; [] removes them.
    let kept = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "fromName": "Kept" }))
        .await;
    assert_eq!(
        kept.expect_success(StatusCode::OK)["teamIds"].as_array().map(Vec::len),
        Some(2)
    );
    let none = rig.patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": [] })).await;
    assert_eq!(none.expect_success(StatusCode::OK)["teamIds"], json!([]));
}

/// The senders of the organization that list `team`, by id.
async fn senders_serving(rig: &SenderApi, team: i64) -> Vec<i64> {
    let mut serving: Vec<i64> = rig
        .list()
        .await
        .iter()
        .filter(|s| s["teamIds"].as_array().is_some_and(|t| t.contains(&json!(team))))
        .map(|s| s["id"].as_i64().expect("id"))
        .collect();
    serving.sort_unstable();
    serving
}

#[tokio::test]
async fn a_team_already_served_by_another_sender_moves_to_the_sender_it_is_given_to() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let a = rig
        .create_id(with(smtp_body(closed_port()), json!({ "teamIds": [rig.team] })))
        .await;
    let b = rig.create_id(smtp_body(closed_port())).await;
    // A team has at most one sender: giving it to b takes it from a.
    let moved = rig
        .patch(&rig.one(b), &rig.owner.key, json!({ "teamIds": [rig.team] }))
        .await;
    assert_eq!(moved.expect_success(StatusCode::OK)["teamIds"], json!([rig.team]));
    assert_eq!(rig.sender(a).await["teamIds"], json!([]));
    assert_eq!(senders_serving(&rig, rig.team).await, [b]);

    // The same when a new sender is created for it.
    let created = rig
        .post(
            &rig.base(),
            &rig.owner.key,
            with(smtp_body(closed_port()), json!({ "teamIds": [rig.team] })),
        )
        .await;
    let c = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    assert_eq!(created.data()["teamIds"], json!([rig.team]));
    assert_eq!(rig.sender(b).await["teamIds"], json!([]));
    assert_eq!(senders_serving(&rig, rig.team).await, [c]);
}

#[tokio::test]
async fn a_team_listed_twice_is_assigned_once() {
    let rig = SenderApi::start(Hosts::Loopback, true, |_| {}).await;
    let a = rig.create_id(smtp_body(closed_port())).await;
    let patched = rig
        .patch(&rig.one(a), &rig.owner.key, json!({ "teamIds": [rig.team, rig.team] }))
        .await;
    assert_eq!(patched.expect_success(StatusCode::OK)["teamIds"], json!([rig.team]));
    assert_eq!(senders_serving(&rig, rig.team).await, [a]);

    let created = rig
        .post(
            &rig.base(),
            &rig.owner.key,
            with(smtp_body(closed_port()), json!({ "teamIds": [rig.team, rig.team] })),
        )
        .await;
    let b = created.expect_success(StatusCode::CREATED)["id"].as_i64().expect("id");
    assert_eq!(created.data()["teamIds"], json!([rig.team]));
    assert_eq!(senders_serving(&rig, rig.team).await, [b]);
}
