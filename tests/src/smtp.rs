//! A small SMTP client for the tests and the benchmark: it says a command
//! and reads the whole reply, and can continue inside TLS after STARTTLS.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// A plain or a TLS connection.
pub trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// What a TLS handshake agreed on.
pub struct Handshake {
    pub version: Option<tokio_rustls::rustls::ProtocolVersion>,
    pub certificate: Vec<u8>,
}

/// One SMTP client connection.
pub struct Client {
    s: BufReader<Box<dyn Duplex>>,
}

impl Client {
    pub async fn connect(addr: std::net::SocketAddr) -> Self {
        let stream = TcpStream::connect(addr).await.unwrap();
        let mut c = Self {
            s: BufReader::new(Box::new(stream)),
        };
        assert!(c.reply().await.starts_with("220"));
        c
    }

    /// The same connection inside TLS (after the server's `220` to
    /// STARTTLS), with the version agreed and the certificate shown.
    pub async fn into_tls(
        self,
        connector: tokio_rustls::TlsConnector,
    ) -> std::io::Result<(Self, Handshake)> {
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from("localhost").unwrap();
        let tls = connector.connect(name, self.s.into_inner()).await?;
        let (_, session) = tls.get_ref();
        let shook = Handshake {
            version: session.protocol_version(),
            certificate: session
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.to_vec())
                .unwrap_or_default(),
        };
        let c = Self {
            s: BufReader::new(Box::new(tls)),
        };
        Ok((c, shook))
    }

    /// A whole reply (all its lines), e.g. "250-…\r\n250 …".
    pub async fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            if self.s.read_line(&mut line).await.unwrap() == 0 {
                return all;
            }
            all.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return all;
            }
        }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).await.unwrap();
        self.s.flush().await.unwrap();
    }

    pub async fn say(&mut self, line: &str) -> String {
        self.send(format!("{line}\r\n").as_bytes()).await;
        self.reply().await
    }
}
