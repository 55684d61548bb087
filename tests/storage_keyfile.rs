//! Key files: created once with mode 0600, loaded back, refused when readable by others
//! or malformed.

use cheesechain::chain::keys::{account_of, secret_from_bytes};
use cheesechain::store::{load_key, load_or_create_key, save_key, StoreError, KEY_FILE_NAME};
use std::os::unix::fs::PermissionsExt;

#[test]
fn node_key_is_created_once_with_mode_600_and_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let a = load_or_create_key(&data).unwrap();
    let path = data.join(KEY_FILE_NAME);
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.len(), 65);
    assert!(text.ends_with('\n'));
    let b = load_or_create_key(&data).unwrap();
    assert_eq!(account_of(&a), account_of(&b));
    assert_eq!(
        load_key(&path).unwrap().to_secret_bytes(),
        a.to_secret_bytes()
    );
}

#[test]
fn save_and_load_round_trip_and_save_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.key");
    let sk = secret_from_bytes([7; 32]).unwrap();
    save_key(&path, &sk).unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        format!("{}\n", "07".repeat(32))
    );
    assert_eq!(load_key(&path).unwrap(), sk);
    let other = secret_from_bytes([8; 32]).unwrap();
    assert!(matches!(
        save_key(&path, &other),
        Err(StoreError::Io { .. })
    ));
    assert_eq!(load_key(&path).unwrap(), sk);
}

#[test]
fn group_or_world_readable_key_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("k");
    save_key(&path, &secret_from_bytes([7; 32]).unwrap()).unwrap();
    for mode in [0o640, 0o604, 0o644, 0o660] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = load_key(&path).unwrap_err();
        assert!(matches!(err, StoreError::KeyPermissions { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains("readable") && msg.contains(&format!("{mode:o}")),
            "{msg}"
        );
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert!(load_key(&path).is_ok());
}

#[test]
fn malformed_keys_are_refused_with_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let zero = "00".repeat(32);
    let order = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141";
    let long = "ab".repeat(1000);
    let cases: Vec<&str> = vec![
        "",
        "abc\n",
        &long,
        "zz0707070707070707070707070707070707070707070707070707070707070707\n",
        "0707070707070707070707070707070707070707070707070707070707070707\n\n",
        &zero,
        order,
    ];
    for (i, content) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}"));
        std::fs::write(&path, content).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = load_key(&path).unwrap_err();
        assert!(
            matches!(err, StoreError::KeyMalformed { .. }),
            "case {i}: {err}"
        );
        assert!(err.to_string().contains("malformed key file"));
    }
    // Without the trailing newline is accepted.
    let path = dir.path().join("nonl");
    std::fs::write(&path, "07".repeat(32)).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert_eq!(
        load_key(&path).unwrap(),
        secret_from_bytes([7; 32]).unwrap()
    );
}

#[test]
fn missing_key_file_is_an_io_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let err = load_key(&dir.path().join("nope.key")).unwrap_err();
    assert!(matches!(err, StoreError::Io { .. }));
    assert!(err.to_string().contains("nope.key"));
}
