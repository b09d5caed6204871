//! Out-of-band connection setup: the TCP connection over which two ends of
//! an RC connection tell each other their QP number, PSN and GID before
//! any RDMA traffic, as `ibv_rc_pingpong` and perftest do (each with its
//! own message format, written by its program), and the random first PSN
//! they pick.

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// The TCP connection to the other end.
#[derive(Debug)]
pub struct OobChannel {
    stream: TcpStream,
    /// Whether this end connected (the client) rather than accepted.
    pub client: bool,
    /// This end's address on the connection: the address the other end
    /// reaches it at, so the natural RoCE address of its device.
    pub local_ip: IpAddr,
}

impl OobChannel {
    /// Connects to the server at `host`:`port`, trying again every 50 ms
    /// while it is not listening yet, for at most `patience`.
    ///
    /// # Errors
    /// The last connection error once `patience` is over.
    pub fn connect(host: &str, port: u16, patience: Duration) -> io::Result<OobChannel> {
        let start = Instant::now();
        loop {
            match TcpStream::connect((host, port)) {
                Ok(stream) => return OobChannel::over(stream, true),
                Err(_) if start.elapsed() < patience => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Listens on `port` (every address) and waits for one client.
    ///
    /// # Errors
    /// The port cannot be bound, or the accept fails.
    pub fn accept(port: u16) -> io::Result<OobChannel> {
        let listener = TcpListener::bind(("0.0.0.0", port))?;
        let (stream, _) = listener.accept()?;
        OobChannel::over(stream, false)
    }

    fn over(stream: TcpStream, client: bool) -> io::Result<OobChannel> {
        let local_ip = stream.local_addr()?.ip();
        Ok(OobChannel {
            stream,
            client,
            local_ip,
        })
    }

    /// Writes all of `bytes`.
    ///
    /// # Errors
    /// The connection's error.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Reads exactly `N` bytes.
    ///
    /// # Errors
    /// The connection's error, or its end before `N` bytes.
    pub fn receive<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.stream.read_exact(&mut buf)?;
        Ok(buf)
    }

    /// Sends `mine` and receives the other end's message of the same size:
    /// the client writes first, the server reads first (the order both
    /// tools use).
    ///
    /// # Errors
    /// The connection's error.
    pub fn swap<const N: usize>(&mut self, mine: &[u8; N]) -> io::Result<[u8; N]> {
        if self.client {
            self.send(mine)?;
            self.receive()
        } else {
            let theirs = self.receive()?;
            self.send(mine)?;
            Ok(theirs)
        }
    }
}

/// A random 24-bit first PSN, as the tools' `lrand48() & 0xffffff` (from
/// std's randomly keyed hasher).
pub fn random_psn() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(u64::from(std::process::id()));
    (hasher.finish() & 0x00ff_ffff) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_ends_swap_messages_in_order() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        drop(listener);
        let server = std::thread::spawn(move || {
            let mut s = OobChannel::accept(port).expect("accept");
            s.swap(b"server").expect("swap")
        });
        let mut c =
            OobChannel::connect("127.0.0.1", port, Duration::from_secs(5)).expect("connect");
        assert!(c.client);
        assert_eq!(&c.swap(b"client").expect("swap"), b"server");
        assert_eq!(&server.join().expect("server"), b"client");
        assert!(random_psn() <= 0x00ff_ffff);
    }
}
