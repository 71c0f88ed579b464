//! TLS served by kyoyu itself (`serve --tls-cert/--tls-key`), for deployments without a
//! reverse proxy: rustls with the ring provider and its safe defaults (TLS 1.2 and 1.3). The
//! certificate and key are read again by [`TlsCerts::reload`] (the CLI calls it on SIGHUP):
//! new connections get the new certificate, open ones keep theirs, and a reload that fails
//! keeps the old one. Handshakes run beside the accept loop, each bounded in time, so a slow
//! or silent client holds up nobody.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use kyoyu_domain::messages::ja;
use rustls::ServerConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// A certificate or key that cannot be used, said in Japanese for the administrator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

impl TlsError {
    pub(crate) fn io(e: &std::io::Error) -> TlsError {
        TlsError(ja("tls.config", &[("detail", &e.to_string())]))
    }
}

/// The server's certificate chain and key, replaceable while serving.
pub struct TlsCerts {
    cert: PathBuf,
    key: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
}

impl std::fmt::Debug for TlsCerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsCerts")
            .field("cert", &self.cert)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl TlsCerts {
    /// Reads a PEM certificate chain (the server's first) and its PEM private key.
    pub fn load(cert: &Path, key: &Path) -> Result<Arc<TlsCerts>, TlsError> {
        let current = read(cert, key)?;
        Ok(Arc::new(TlsCerts {
            cert: cert.to_owned(),
            key: key.to_owned(),
            current: RwLock::new(Arc::new(current)),
        }))
    }

    /// Reads both files again; on any problem the certificate in use stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = read(&self.cert, &self.key)?;
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(fresh);
        }
        Ok(())
    }

    fn server_config(self: &Arc<Self>) -> Result<ServerConfig, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError(ja("tls.config", &[("detail", &e.to_string())])))?
            .with_no_client_auth()
            .with_cert_resolver(self.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

impl ResolvesServerCert for TlsCerts {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.clone())
    }
}

fn read(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let file = |p: &Path| p.display().to_string();
    let bytes = |p: &Path| {
        std::fs::read(p).map_err(|e| {
            TlsError(ja(
                "tls.unreadable",
                &[("file", &file(p)), ("detail", &e.to_string())],
            ))
        })
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&bytes(cert)?)
        .collect::<Result<_, _>>()
        .map_err(|e| {
            TlsError(ja(
                "tls.bad_cert",
                &[("file", &file(cert)), ("detail", &e.to_string())],
            ))
        })?;
    if chain.is_empty() {
        return Err(TlsError(ja("tls.no_cert", &[("file", &file(cert))])));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&bytes(key)?).map_err(|e| {
        TlsError(ja(
            "tls.bad_key",
            &[("file", &file(key)), ("detail", &e.to_string())],
        ))
    })?;
    let signing = rustls::crypto::ring::sign::any_supported_type(&key_der).map_err(|e| {
        TlsError(ja(
            "tls.bad_key",
            &[("file", &file(key)), ("detail", &e.to_string())],
        ))
    })?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().map_err(|_| {
        TlsError(ja(
            "tls.mismatch",
            &[("cert", &file(cert)), ("key", &file(key))],
        ))
    })?;
    Ok(certified)
}

/// Accepted TCP connections after their TLS handshake, as axum's listener.
pub struct TlsListener {
    rx: tokio::sync::mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

/// The longest a client may take for its handshake.
const HANDSHAKE: Duration = Duration::from_secs(10);

impl TlsListener {
    pub fn new(tcp: TcpListener, certs: &Arc<TlsCerts>) -> Result<TlsListener, TlsError> {
        let local = tcp
            .local_addr()
            .map_err(|e| TlsError(ja("tls.config", &[("detail", &e.to_string())])))?;
        let acceptor = TlsAcceptor::from(Arc::new(certs.server_config()?));
        let (tx, rx) = tokio::sync::mpsc::channel(64);
        tokio::spawn(async move {
            while !tx.is_closed() {
                let (stream, peer) = match tcp.accept().await {
                    Ok(c) => c,
                    Err(e) => {
                        // Out of file descriptors and the like: wait instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { rx, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.rx.recv().await {
            Some(conn) => conn,
            // The accept loop ended: nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
