//! A throwaway certificate authority for tests, and rustls configs built on the *ring* provider.
//!
//! Every config built here installs `rustls::crypto::ring::default_provider()` explicitly, so nothing depends on a
//! process-global default provider having been installed (or on aws-lc-rs being compiled in).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// The *ring* crypto provider, wrapped for the `builder_with_provider` constructors.
pub fn ring_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A fresh, self-signed certificate authority ("convene test CA") that can issue server certificates.
///
/// Each [`TestCa::new`] generates a new key, so certificates from different CAs never trust each other.
pub struct TestCa {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl Default for TestCa {
    fn default() -> Self {
        Self::new()
    }
}

impl TestCa {
    /// Generates a new self-signed CA certificate with common name "convene test CA".
    pub fn new() -> TestCa {
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, "convene test CA");
        dn.push(DnType::OrganizationName, "convene tests");
        params.distinguished_name = dn;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("generate the test CA key pair");
        let issuer = CertifiedIssuer::self_signed(params, key).expect("self-sign the test CA certificate");
        TestCa { issuer }
    }

    /// PEM of the CA certificate (what a client must trust).
    pub fn ca_pem(&self) -> String {
        self.issuer.pem()
    }

    /// DER of the CA certificate.
    pub fn ca_der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// Writes the CA certificate to `dir/ca.pem` and returns that path.
    pub fn write_ca_pem(&self, dir: &Path) -> PathBuf {
        let path = dir.join("ca.pem");
        std::fs::write(&path, self.ca_pem())
            .unwrap_or_else(|e| panic!("write the test CA certificate to {}: {e}", path.display()));
        path
    }

    /// Issues a server certificate signed by this CA, valid for every entry of `names`.
    ///
    /// Entries that parse as IP addresses ("127.0.0.1", "::1") become IP SANs; everything else becomes a DNS SAN
    /// ("localhost", "mail.example.test"). The first name is also the subject's common name.
    pub fn leaf(&self, names: &[&str]) -> LeafCert {
        assert!(
            !names.is_empty(),
            "TestCa::leaf needs at least one DNS name or IP address"
        );
        let sans: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let mut params = CertificateParams::new(sans)
            .unwrap_or_else(|e| panic!("invalid subject alternative name in {names:?}: {e}"));
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CommonName, names[0]);
        params.distinguished_name = dn;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().expect("generate a leaf key pair");
        let cert = params
            .signed_by(&key, &self.issuer)
            .expect("sign the leaf certificate with the test CA");
        LeafCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        }
    }

    /// A root store containing only this CA.
    pub fn root_store(&self) -> rustls::RootCertStore {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(self.ca_der()).expect("add the test CA to a root store");
        roots
    }

    /// A rustls client config (ring provider, TLS 1.2 and 1.3) that trusts only this CA.
    pub fn client_config(&self) -> Arc<rustls::ClientConfig> {
        let config = rustls::ClientConfig::builder_with_provider(ring_provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_root_certificates(self.root_store())
            .with_no_client_auth();
        Arc::new(config)
    }
}

/// A server certificate and its private key, both PEM (the key is PKCS#8).
#[derive(Clone)]
pub struct LeafCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for LeafCert {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeafCert")
            .field("cert_pem", &self.cert_pem)
            .field("key_pem", &"<redacted>")
            .finish()
    }
}

impl LeafCert {
    /// The certificate chain (just the leaf) as DER.
    pub fn cert_chain(&self) -> Vec<CertificateDer<'static>> {
        CertificateDer::pem_slice_iter(self.cert_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("parse the leaf certificate PEM")
    }

    /// The private key as DER.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes()).expect("parse the leaf private key PEM")
    }

    /// A rustls server config (ring provider, TLS 1.2 and 1.3, no client auth) presenting this certificate.
    pub fn server_config(&self) -> Arc<rustls::ServerConfig> {
        let config = rustls::ServerConfig::builder_with_provider(ring_provider())
            .with_safe_default_protocol_versions()
            .expect("ring supports the default TLS versions")
            .with_no_client_auth()
            .with_single_cert(self.cert_chain(), self.private_key())
            .expect("build a rustls server config from the leaf certificate");
        Arc::new(config)
    }

    /// Writes `cert.pem` and `key.pem` into `dir` and returns their paths (certificate, key).
    pub fn write_pem_files(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let cert = dir.join("cert.pem");
        let key = dir.join("key.pem");
        std::fs::write(&cert, &self.cert_pem)
            .unwrap_or_else(|e| panic!("write the leaf certificate to {}: {e}", cert.display()));
        std::fs::write(&key, &self.key_pem).unwrap_or_else(|e| panic!("write the leaf key to {}: {e}", key.display()));
        (cert, key)
    }
}
