use super::*;

const WEBHOOK_7: Binding<'static> = Binding {
    scope: "webhook",
    owner: "7",
    field: "secret",
};

fn entry(kid: &str, byte: u8) -> String {
    format!(
        "{kid}:{}",
        base64::engine::general_purpose::STANDARD.encode([byte; KEY_LEN])
    )
}

fn keyring(entries: &[String]) -> Keyring {
    Keyring::from_config(entries).expect("valid keys")
}

#[test]
fn a_sealed_value_opens_to_the_same_text() {
    let ring = Keyring::generate();
    let sealed = ring.seal(WEBHOOK_7, "whsec 🎉 \"quoted\"").expect("seal");
    assert_eq!(
        ring.open(WEBHOOK_7, &sealed).expect("open").expose_secret(),
        "whsec 🎉 \"quoted\""
    );
}

#[test]
fn sealed_values_name_the_key_and_hide_the_text() {
    let ring = keyring(&[entry("primary", 1)]);
    let sealed = ring.seal(WEBHOOK_7, "hunter2").expect("seal");
    assert!(sealed.starts_with("v1.primary."), "{sealed}");
    assert!(!sealed.contains("hunter2"));
    let again = ring.seal(WEBHOOK_7, "hunter2").expect("seal");
    assert_ne!(sealed, again, "a fresh nonce every time");
}

#[test]
fn a_value_moved_to_another_owner_field_or_scope_does_not_open() {
    let ring = Keyring::generate();
    let sealed = ring.seal(WEBHOOK_7, "hunter2").expect("seal");
    for other in [
        Binding {
            owner: "8",
            ..WEBHOOK_7
        },
        Binding {
            field: "password",
            ..WEBHOOK_7
        },
        Binding {
            scope: "smtp",
            ..WEBHOOK_7
        },
        // Same bytes concatenated, different split: the length prefixes tell them apart.
        Binding {
            scope: "webhook7",
            owner: "",
            ..WEBHOOK_7
        },
    ] {
        assert_eq!(
            ring.open(other, &sealed).err(),
            Some(KeyringError::Unauthentic),
            "{other:?}"
        );
    }
}

#[test]
fn a_value_sealed_by_an_unknown_key_does_not_open() {
    let sealed = keyring(&[entry("old", 1)]).seal(WEBHOOK_7, "hunter2").expect("seal");
    let other = keyring(&[entry("new", 2)]);
    assert_eq!(
        other.open(WEBHOOK_7, &sealed).err(),
        Some(KeyringError::UnknownKey("old".into()))
    );
}

#[test]
fn the_same_key_id_with_different_key_bytes_does_not_open() {
    let sealed = keyring(&[entry("k", 1)]).seal(WEBHOOK_7, "hunter2").expect("seal");
    assert_eq!(
        keyring(&[entry("k", 2)]).open(WEBHOOK_7, &sealed).err(),
        Some(KeyringError::Unauthentic)
    );
}

#[test]
fn any_tampering_is_detected() {
    let ring = Keyring::generate();
    let sealed = ring.seal(WEBHOOK_7, "hunter2").expect("seal");
    let (head, payload) = sealed.rsplit_once('.').expect("three parts");
    let raw = URL_SAFE_NO_PAD.decode(payload).expect("base64");
    for i in 0..raw.len() {
        let mut flipped = raw.clone();
        flipped[i] ^= 0x01;
        let tampered = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&flipped));
        assert_eq!(
            ring.open(WEBHOOK_7, &tampered).err(),
            Some(KeyringError::Unauthentic),
            "byte {i}"
        );
    }
    let truncated = format!("{head}.{}", URL_SAFE_NO_PAD.encode(&raw[..raw.len() - 1]));
    assert_eq!(ring.open(WEBHOOK_7, &truncated).err(), Some(KeyringError::Unauthentic));
}

#[test]
fn malformed_values_are_refused_without_panicking() {
    let ring = Keyring::generate();
    let kid = ring.active_key_id().to_string();
    for bad in [
        String::new(),
        "hunter2".into(),
        format!("v2.{kid}.AAAA"),
        format!("v1.{kid}"),
        format!("v1.{kid}.not base64!"),
        format!("v1.{kid}.AAAA"),
    ] {
        assert_eq!(
            ring.open(WEBHOOK_7, &bad).err(),
            Some(KeyringError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn rotation_opens_old_values_and_reseals_with_the_active_key() {
    let old = keyring(&[entry("2024", 1)]);
    let sealed = old.seal(WEBHOOK_7, "hunter2").expect("seal");

    let rotated = keyring(&[entry("2025", 2), entry("2024", 1)]);
    assert_eq!(rotated.active_key_id().as_str(), "2025");
    assert_eq!(
        rotated
            .open(WEBHOOK_7, &sealed)
            .expect("old key still opens")
            .expose_secret(),
        "hunter2"
    );
    assert!(rotated.needs_reseal(&sealed));

    let resealed = rotated.reseal(WEBHOOK_7, &sealed).expect("reseal");
    assert!(resealed.starts_with("v1.2025."), "{resealed}");
    assert!(!rotated.needs_reseal(&resealed));
    let only_new = keyring(&[entry("2025", 2)]);
    assert_eq!(
        only_new.open(WEBHOOK_7, &resealed).expect("open").expose_secret(),
        "hunter2"
    );
    assert_eq!(
        only_new.open(WEBHOOK_7, &sealed).err(),
        Some(KeyringError::UnknownKey("2024".into()))
    );
}

#[test]
fn configuration_entries_are_checked_and_errors_never_echo_the_key() {
    let short = format!("k1:{}", base64::engine::general_purpose::STANDARD.encode([9u8; 16]));
    let cases = [
        (vec![], KeyringError::NoKeys),
        (vec!["no-colon".to_owned()], bad(1, "kid:base64")),
        (
            vec![entry("ok", 1), "bad.id:AAAA".to_owned()],
            bad(2, "letters, digits"),
        ),
        (vec!["k1:***".to_owned()], bad(1, "not valid base64")),
        (vec![short], bad(1, "32 bytes, not 16")),
        (
            vec![entry("same", 1), entry("same", 2)],
            KeyringError::DuplicateKeyId("same".into()),
        ),
    ];
    for (entries, expected) in cases {
        let err = Keyring::from_config(&entries).expect_err("refused");
        match (&err, &expected) {
            (
                KeyringError::BadKey { position, reason },
                KeyringError::BadKey {
                    position: p,
                    reason: fragment,
                },
            ) => {
                assert_eq!(position, p, "{entries:?}");
                assert!(reason.contains(fragment.as_str()), "{reason}");
                assert!(!reason.contains("CQkJ"), "the key is never echoed: {reason}");
            }
            _ => assert_eq!(err, expected, "{entries:?}"),
        }
    }
}

fn bad(position: usize, fragment: &str) -> KeyringError {
    KeyringError::BadKey {
        position,
        reason: fragment.to_owned(),
    }
}

#[test]
fn url_safe_and_unpadded_base64_are_accepted() {
    let bytes = [0xfbu8; KEY_LEN];
    for engine in [
        base64::engine::general_purpose::URL_SAFE,
        base64::engine::general_purpose::STANDARD_NO_PAD,
    ] {
        let ring = keyring(&[format!(" k1 : {} ", engine.encode(bytes))]);
        let sealed = ring.seal(WEBHOOK_7, "x").expect("seal");
        assert_eq!(
            keyring(&[entry("k1", 0xfb)])
                .open(WEBHOOK_7, &sealed)
                .expect("same key")
                .expose_secret(),
            "x"
        );
    }
}

#[test]
fn generated_keys_round_trip_through_their_configuration_entry() {
    let key = NamedKey::generate();
    let entry = key.to_config_entry();
    let ring = Keyring::new(vec![key]).expect("one key");
    let sealed = ring.seal(WEBHOOK_7, "hunter2").expect("seal");
    let reloaded = Keyring::from_config(&[entry.expose_secret()]).expect("entry parses");
    assert_eq!(
        reloaded.open(WEBHOOK_7, &sealed).expect("open").expose_secret(),
        "hunter2"
    );
    assert_ne!(
        NamedKey::generate().to_config_entry().expose_secret(),
        entry.expose_secret()
    );
}

#[test]
fn debug_output_shows_key_ids_only() {
    let ring = keyring(&[entry("visible-id", 0x41)]);
    let shown = format!("{ring:?} {:?}", NamedKey::parse(&entry("other", 0x41)).expect("key"));
    assert!(shown.contains("visible-id") && shown.contains("other"), "{shown}");
    let key_text = base64::engine::general_purpose::STANDARD.encode([0x41u8; KEY_LEN]);
    assert!(!shown.contains(&key_text[..8]), "{shown}");
    assert!(!shown.contains("65, 65"), "no raw bytes either: {shown}");
}
