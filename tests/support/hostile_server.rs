//! A hostile HTTP/1.1 server on loopback: it answers every request the same way, with
//! what an attacker (or a broken proxy) would send: any status, headers and body; a
//! body of 2 GB; an endless chunked body; a gzip bomb; or nothing at all (the
//! connection accepted and held). It keeps the head of every request it got, so a test
//! can count them and look at their headers (which token reached it).

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// How the server answers each request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// This status, these headers (`Content-Length` and `Connection: close` are added)
    /// and this body.
    Fixed {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
    },
    /// 200 with `Content-Length: length`, then as much of the body as the client reads.
    Huge { length: u64 },
    /// 200 with `Transfer-Encoding: chunked`, and chunks for as long as the client reads.
    Endless,
    /// Reads the request and never answers: the connection stays open until the client
    /// closes it or the server is dropped.
    Silent,
}

impl Answer {
    /// A JSON body with this status.
    pub fn json(status: u16, body: &serde_json::Value) -> Answer {
        Answer::Fixed {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.to_string().into_bytes(),
        }
    }
}

/// One request as received: method, path (with query), and headers (names lower-cased).
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The server; dropping it closes every connection it holds.
pub struct HostileServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    /// A handle on every connection accepted, to close them on drop.
    connections: Arc<Mutex<Vec<TcpStream>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HostileServer {
    /// Serves `answer` to every request, over plain HTTP on `127.0.0.1`.
    pub fn start(answer: Answer) -> HostileServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the hostile server binds");
        let addr = listener.local_addr().expect("a local address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_requests, thread_connections, thread_stop) =
            (requests.clone(), connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                if let Ok(handle) = stream.try_clone() {
                    thread_connections.lock().unwrap().push(handle);
                }
                let (requests, answer) = (thread_requests.clone(), answer.clone());
                std::thread::spawn(move || serve(stream, &requests, &answer));
            }
        });
        HostileServer {
            addr,
            requests,
            connections,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far, in the order received.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which then sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        // Ends the connection threads: a held one reads 0, a streaming one fails to write.
        for connection in self.connections.lock().unwrap().drain(..) {
            let _ = connection.shutdown(Shutdown::Both);
        }
    }
}

/// One connection: reads the request, records it, answers it, closes.
fn serve(mut stream: TcpStream, requests: &Mutex<Vec<Request>>, answer: &Answer) {
    let Some(request) = read_request(&mut stream) else {
        return;
    };
    requests.lock().unwrap().push(request);
    // A write fails once the client has gone: the answer ends there.
    let _ = match answer {
        Answer::Fixed {
            status,
            headers,
            body,
        } => write_fixed(&mut stream, *status, headers, body),
        Answer::Huge { length } => write_huge(&mut stream, *length),
        Answer::Endless => write_endless(&mut stream),
        Answer::Silent => {
            // Holds the connection: returns when the client closes it or on drop.
            let mut sink = [0u8; 1024];
            while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
            Ok(())
        }
    };
}

/// The request's head and body (read and dropped); `None` if the client hung up first.
fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let (method, path) = (request_line.next()?, request_line.next()?);
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let request = Request {
        method: method.to_string(),
        path: path.to_string(),
        headers,
    };
    let length = request
        .header("content-length")
        .and_then(|l| l.parse::<u64>().ok())
        .unwrap_or(0);
    std::io::copy(&mut stream.take(length), &mut std::io::sink()).ok()?;
    Some(request)
}

fn write_fixed(
    stream: &mut TcpStream,
    status: u16,
    headers: &[(String, String)],
    body: &[u8],
) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {status} Hostile\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// 64 KiB of a JSON array's insides: a body that looks like data, not padding.
fn filler() -> Vec<u8> {
    b"0,".repeat(32 * 1024)
}

fn write_huge(stream: &mut TcpStream, length: u64) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n["
    )?;
    let filler = filler();
    let mut sent = 1u64;
    while sent < length {
        let n = filler.len().min((length - sent) as usize);
        stream.write_all(&filler[..n])?;
        sent += n as u64;
    }
    Ok(())
}

fn write_endless(stream: &mut TcpStream) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n1\r\n[\r\n"
    )?;
    let filler = filler();
    loop {
        write!(stream, "{:x}\r\n", filler.len())?;
        stream.write_all(&filler)?;
        stream.write_all(b"\r\n")?;
    }
}

/// A gzip body of about `mib` KiB that expands to `mib` MiB of zeros, with the right
/// CRC and length in its trailer: one MiB of zeros deflated from a fresh state and
/// sync-flushed (whole blocks, none final, referring only to themselves) repeated
/// `mib` times, then an empty final block. Built in milliseconds, where deflating a
/// whole GiB would take a debug build minutes.
pub fn gzip_bomb(mib: usize) -> Vec<u8> {
    use flate2::{Compression, Crc, write::DeflateEncoder};
    let zeros = vec![0u8; 1024 * 1024];
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&zeros).expect("deflates");
    // flate2's flush is a sync flush: the blocks so far, ending on a byte boundary.
    encoder.flush().expect("flushes");
    let segment = encoder.get_ref().clone();
    let mut one = Crc::new();
    one.update(&zeros);
    let mut all = Crc::new();
    // 10-byte header: magic, deflate, no flags, no time, no extra flags, unknown OS.
    let mut body = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    for _ in 0..mib {
        body.extend_from_slice(&segment);
        all.combine(&one);
    }
    // An empty final block with fixed codes: BFINAL=1, BTYPE=01, end-of-block.
    body.extend_from_slice(&[0x03, 0x00]);
    body.extend_from_slice(&all.sum().to_le_bytes());
    body.extend_from_slice(&all.amount().to_le_bytes());
    body
}

#[test]
fn the_gzip_bomb_is_gzip_that_expands_as_said() {
    let bomb = gzip_bomb(3);
    assert!(bomb.len() < 16 * 1024, "{} bytes", bomb.len());
    let mut expanded = Vec::new();
    // GzDecoder checks the trailer's CRC and length at the end.
    flate2::read::GzDecoder::new(bomb.as_slice())
        .read_to_end(&mut expanded)
        .expect("a valid gzip stream");
    assert_eq!(expanded.len(), 3 * 1024 * 1024);
    assert!(expanded.iter().all(|&b| b == 0));
}
