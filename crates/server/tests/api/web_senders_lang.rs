//! Settings → Email senders in the admin's language: the page, its edit form, the delete confirmation and the
//! delivery log follow the user's language setting (else the browser's), and a refused save is said in that
//! language beside its field, keeping what was typed and storing nothing.

use crate::web_senders::{ADMIN, SendersPage, assert_no_secrets, csrf_of, sender_form};
use convene_core::email::EmailKind;
use convene_core::{TeamId, UserId};
use convene_store::now;
use convene_store::outbox::{self, NewEmail};
use convene_store::users::{self, UserPatch};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT_LANGUAGE, HeaderMap, HeaderValue};

/// Stores `locale` as the admin's language setting, as `PATCH /v2/me` would.
async fn set_locale(rig: &SendersPage, locale: &str) {
    let user = users::find_by_email(&rig.app.db, ADMIN)
        .await
        .expect("find")
        .expect("the admin");
    let patch = UserPatch {
        locale: Some(locale.to_owned()),
        ..UserPatch::default()
    };
    users::update(&rig.app.db, UserId(user.id.0), &patch)
        .await
        .expect("update")
        .expect("user");
}

/// A client signed in as the admin whose browser asks for `accept` on every request.
async fn signed_in_accepting(rig: &SendersPage, accept: &'static str) -> reqwest::Client {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(accept));
    rig.signed_in_with(ADMIN, headers).await
}

/// Every string of `present` is in `html` and none of `absent` is (as written in the HTML: `'` is `&#39;`).
fn speaks(html: &str, present: &[&str], absent: &[&str]) {
    for text in present {
        assert!(html.contains(text), "{text:?} missing: {html}");
    }
    for text in absent {
        assert!(!html.contains(text), "{text:?} (English) still shown: {html}");
    }
}

/// The text of the refusal beside `id` (`<p … id="{id}-error">…</p>`).
fn beside(html: &str, id: &str) -> String {
    html.split(&format!("id=\"{id}-error\">"))
        .nth(1)
        .and_then(|s| s.split("</p>").next())
        .unwrap_or_else(|| panic!("no refusal beside {id} in {html}"))
        .to_owned()
}

/// Adds a sender through the page (the fake SMTP server, the team ticked) and queues one email of the
/// organization; returns the sender's and the email's ids.
async fn sender_and_email(rig: &SendersPage, client: &reqwest::Client) -> (i64, i64) {
    let (_, html) = rig.get(client, &rig.page_path()).await;
    let csrf = csrf_of(&html);
    let port = rig.smtp.port().to_string();
    let team = rig.team.to_string();
    let (status, _, html) = rig
        .post(client, &rig.page_path(), &sender_form(&csrf, &port, &team))
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    let id = rig.api_senders().await[0]["id"].as_i64().expect("id");
    let email = NewEmail {
        message_id: "<lang@log.convene.test>".to_owned(),
        organization_id: Some(TeamId(rig.org)),
        to_email: "gast@example.test".to_owned(),
        subject: "Gebucht".to_owned(),
        body_text: "body".to_owned(),
        body_html: "<p>body</p>".to_owned(),
        ..NewEmail::of(EmailKind::BookingScheduledAttendee)
    };
    let email = outbox::enqueue(&rig.app.db, &email, now()).await.expect("enqueue");
    (id, email.0)
}

#[tokio::test]
async fn a_german_admin_sees_the_page_the_edit_form_the_delete_page_and_the_log_in_german() {
    let rig = SendersPage::start(false, true).await;
    let admin = rig.signed_in(ADMIN).await;
    let path = rig.page_path();
    // In English (the account's language) first, so the words looked for below as absent are the English page's.
    let (_, html) = rig.get(&admin, &path).await;
    speaks(
        &html,
        &[
            "<html lang=\"en\">",
            "No senders yet",
            "Add a sender",
            "Test these settings",
            "From email",
        ],
        &["Absender hinzufügen"],
    );
    set_locale(&rig, "de").await;

    // The empty states.
    let (status, html) = rig.get(&admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    speaks(
        &html,
        &[
            "<html lang=\"de\">",
            "id=\"nav-senders\" aria-current=\"page\"",
            "id=\"org-tab-senders\" aria-current=\"page\"",
            "Noch keine Absender",
            "Noch keine E-Mails.",
            "Absender hinzufügen",
            "Diese Einstellungen testen",
        ],
        &[
            "No senders yet",
            "No emails yet",
            "Add a sender",
            "Test these settings",
            "From email",
        ],
    );

    let (id, email) = sender_and_email(&rig, &admin).await;
    let (_, html) = rig.get(&admin, &format!("{path}?notice=created")).await;
    speaks(
        &html,
        &[
            "Absender gespeichert.",
            "Verbindung testen",
            "Noch nicht getestet",
            "Diesen Absender bearbeiten",
            "Änderungen speichern",
            "gespeichert – leer lassen zum Behalten",
            "SMTP-Anmeldung gespeichert",
            "Versandprotokoll",
            "Versandt über",
            "In der Warteschlange",
            "data-status=\"queued\"",
            "Konto-E-Mails laufen immer über den Server der Plattform.",
        ],
        &[
            "Sender saved",
            "Test connection",
            "Not tested yet",
            "Edit this sender",
            "Save changes",
            "leave blank to keep",
            "Delivery log",
            "Sent through",
            "Queued",
            "Account emails",
        ],
    );
    assert!(
        html.contains(&format!("id=\"status-{id}\" data-status=\"UNTESTED\"")),
        "{html}"
    );

    let (status, html) = rig.get(&admin, &format!("{path}/{id}/delete")).await;
    assert_eq!(status, StatusCode::OK);
    speaks(
        &html,
        &[
            "<html lang=\"de\">",
            "Diesen Absender löschen?",
            "wird mitsamt den gespeicherten Zugangsdaten gelöscht.",
            "über den nächsten Absender",
            ">Abbrechen<",
        ],
        &[
            "Delete this sender?",
            "will be deleted",
            ">Cancel<",
            "Delete the sender",
        ],
    );

    let detail = format!("/settings/organizations/{}/email-deliveries/{email}", rig.org);
    let (status, html) = rig.get(&admin, &detail).await;
    assert_eq!(status, StatusCode::OK);
    speaks(
        &html,
        &[
            "<html lang=\"de\">",
            &format!("E-Mail {email}"),
            "Betreff",
            "Alle versuchten Wege",
            "Noch kein Versuch.",
            "Zurück zu den E-Mail-Absendern",
            "In der Warteschlange",
            "Buchung bestätigt (an Teilnehmende) <code>booking_scheduled_attendee</code>",
        ],
        &[
            "Every route tried",
            "No attempt yet",
            "Subject",
            "Recipient",
            "Queued",
            "Booking confirmed",
        ],
    );
    let (status, html) = rig
        .get(
            &admin,
            &format!("/settings/organizations/{}/email-deliveries/999999", rig.org),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    speaks(
        &html,
        &["<html lang=\"de\">", "Diese E-Mail steht nicht im Versandprotokoll"],
        &["Not found", "Email delivery not found"],
    );
    assert_eq!(rig.api_senders().await.len(), 1, "looking changed nothing");

    // A test's result: our own words in German, the health's new state too.
    let csrf = csrf_of(&rig.get(&admin, &path).await.1);
    let (status, _, html) = rig
        .post(&admin, &format!("{path}/{id}/test-connection"), &[("csrf", &csrf)])
        .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    speaks(
        &html,
        &[
            "Verbindungstest für bookings@acme.example: <span id=\"test-outcome\">erfolgreich</span>",
            "id=\"test-message\">Verbunden und angemeldet.<",
            "Schritt",
            &format!("id=\"status-{id}\" data-status=\"OK\">In Ordnung<"),
        ],
        &[
            "Connected and authenticated",
            ">success<",
            ">Stage<",
            "Test connection for",
        ],
    );
    // Unsaved settings whose host is not public: the answer names it in German.
    let unsaved = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "x@acme.example"),
        ("fromName", "X"),
        ("smtpHost", "10.0.0.1"),
    ];
    let (status, _, html) = rig.post(&admin, &format!("{path}/test-connection"), &unsaved).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    speaks(
        &html,
        &[
            "Test der nicht gespeicherten Einstellungen: <span id=\"test-outcome\">fehlgeschlagen</span>",
            "id=\"test-message\">Dieser Server ist nicht öffentlich im Internet erreichbar",
        ],
        &["SMTP host must be a public address", ">failed<"],
    );
}

#[tokio::test]
async fn without_a_language_the_app_speaks_the_browsers_french_is_used() {
    let rig = SendersPage::start(false, true).await;
    // Portuguese is a valid setting the pages don't speak: the browser's preference decides.
    set_locale(&rig, "pt-BR").await;
    let admin = signed_in_accepting(&rig, "fr-CA,fr;q=0.9,en;q=0.5").await;
    let (id, email) = sender_and_email(&rig, &admin).await;
    let path = rig.page_path();

    let (status, html) = rig.get(&admin, &path).await;
    assert_eq!(status, StatusCode::OK);
    speaks(
        &html,
        &[
            "<html lang=\"fr\">",
            "Expéditeurs d&#39;e-mails",
            "Ajouter un expéditeur",
            "Tester la connexion",
            "Pas encore testé",
            "Journal d&#39;envoi",
            "En file d&#39;attente",
        ],
        &[
            "Add a sender",
            "Test connection",
            "Not tested yet",
            "Delivery log",
            "Queued",
        ],
    );
    let (_, html) = rig.get(&admin, &format!("{path}/{id}/delete")).await;
    speaks(
        &html,
        &["<html lang=\"fr\">", "Supprimer cet expéditeur ?", ">Annuler<"],
        &["Delete this sender?", ">Cancel<"],
    );
    let (_, html) = rig
        .get(
            &admin,
            &format!("/settings/organizations/{}/email-deliveries/{email}", rig.org),
        )
        .await;
    speaks(
        &html,
        &["<html lang=\"fr\">", "Toutes les voies essayées", "Objet"],
        &["Every route tried", "Subject"],
    );
    // A form from another site is refused in French too.
    let answer = admin
        .post(rig.url(&path))
        .header("origin", "https://evil.example")
        .form(&[("csrf", "x")])
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let html = answer.text().await.expect("html");
    speaks(&html, &["<html lang=\"fr\">", "Session expirée"], &["Session expired"]);
}

#[tokio::test]
async fn a_refused_save_is_said_in_german_beside_the_field_keeping_what_was_typed_and_changing_nothing() {
    let rig = SendersPage::start(false, true).await;
    set_locale(&rig, "de").await;
    let admin = rig.signed_in(ADMIN).await;
    let (id, _) = sender_and_email(&rig, &admin).await;
    let before = rig.api_senders().await;
    let path = rig.page_path();
    let (_, html) = rig.get(&admin, &path).await;
    let csrf = csrf_of(&html);

    // An edit with a port out of range, and other fields changed: nothing of it is stored.
    let edit = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "neu@acme.example"),
        ("fromName", "Acme Neu"),
        ("provider", "SMTP"),
        ("smtpHost", "relay.acme.example"),
        ("smtpPort", "70000"),
        ("smtpUser", "new-login-never-shown"),
        ("smtpPassword", "new-password-never-shown"),
    ];
    let (status, _, html) = rig.post(&admin, &format!("{path}/{id}"), &edit).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        beside(&html, &format!("s{id}-smtpPort")),
        "Geben Sie eine Zahl von 1 bis 65535 ein."
    );
    speaks(
        &html,
        &[
            "<html lang=\"de\">",
            "Bitte korrigieren Sie „SMTP-Port“: Geben Sie eine Zahl von 1 bis 65535 ein.",
            "value=\"neu@acme.example\"",
            "value=\"Acme Neu\"",
            "value=\"relay.acme.example\"",
            "value=\"70000\"",
            &format!("<details id=\"edit-{id}\" open>"),
            &format!("aria-describedby=\"s{id}-smtpPort-error\""),
        ],
        &["Enter a number", "Please correct", "must be between", "smtpPort: "],
    );
    for secret in ["new-login-never-shown", "new-password-never-shown"] {
        assert!(!html.contains(secret), "a typed secret is echoed: {html}");
    }
    assert_no_secrets(&html);
    assert_eq!(rig.api_senders().await, before, "the stored sender is unchanged");

    // A new SMTP sender without its host: said beside the host, the typed address kept, nothing added.
    let add = [
        ("csrf", csrf.as_str()),
        ("fromEmail", "zweit@acme.example"),
        ("fromName", "Acme Zwei"),
        ("provider", "SMTP"),
        ("smtpHost", ""),
        ("smtpPort", "587"),
    ];
    let (status, _, html) = rig.post(&admin, &path, &add).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(beside(&html, "smtpHost"), "Bitte füllen Sie dieses Feld aus.");
    speaks(
        &html,
        &["value=\"zweit@acme.example\"", "value=\"Acme Zwei\"", "value=\"587\""],
        &["is required for an SMTP sender", "Please fill this in"],
    );
    assert_eq!(rig.api_senders().await, before, "no sender added, the first unchanged");
}
