//! Certificates for stand-in TLS servers, made with the test machine's
//! `openssl`: a CA of the test's own and a server certificate it issues,
//! trusted only where a test says so.

use std::path::Path;
use std::process::Command;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is installed in the dev environment");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA in `dir`: `<name>.pem` and its key `<name>.key`.
pub fn ca(dir: &Path, name: &str) {
    let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &pem,
            "-days",
            "2",
            "-subj",
            &format!("/CN=Paddock test CA {name}"),
        ],
    );
}

/// `site.pem` and `site.key` in `dir`: a certificate for the name `host`
/// issued by the CA `ca` there ([`ca`]).
pub fn site_certificate(dir: &Path, host: &str, ca: &str) {
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "site.key",
            "-out",
            "site.csr",
            "-subj",
            &format!("/CN={host}"),
        ],
    );
    std::fs::write(dir.join("ext"), format!("subjectAltName=DNS:{host}\n"))
        .expect("write the certificate's extensions");
    let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "site.csr",
            "-CA",
            &ca_pem,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-out",
            "site.pem",
            "-days",
            "2",
            "-extfile",
            "ext",
        ],
    );
}
