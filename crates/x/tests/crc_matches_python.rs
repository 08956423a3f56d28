//! The CRC answer equals an independent computation by Python's `hmac` module.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;

fn python_crc(secret: &str, token: &str) -> String {
    let script = "import base64,hashlib,hmac,sys\n\
        d=hmac.new(sys.argv[1].encode(),sys.argv[2].encode(),hashlib.sha256).digest()\n\
        print('sha256='+base64.b64encode(d).decode())";
    let out = Command::new("python3")
        .args(["-c", script, secret, token])
        .output()
        .expect(
            "python3 is needed for this test (the test command installs it with the virtualenv)",
        );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn crc_answer_matches_python_hmac() {
    for (secret, token) in [
        ("consumer-secret", "dGVzdC10b2tlbg=="),
        (
            "Ks8H2kd91mZ0qPq3Q5sGvYtUe4zZr7cXw1aBnM6oLpYd",
            "2vNRyTE4OTk1NDg0",
        ),
        ("é-ünïcode-secret", "abc-_"),
    ] {
        let ours = starling_x::webhook::crc_response_token(secret.as_bytes(), Some(token)).unwrap();
        assert_eq!(
            ours,
            python_crc(secret, token),
            "secret {secret:?} token {token:?}"
        );
    }
}
