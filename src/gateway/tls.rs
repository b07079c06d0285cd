//! The server name (SNI) of a TLS ClientHello, read from the bytes the
//! client sends first. Strict on purpose: whatever this parser and the real
//! server could read differently (a second server_name extension, bytes left
//! over) is refused, not guessed.

use crate::reason::Reason;

/// The largest ClientHello read (real ones are under 2 KiB, post-quantum
/// key shares included).
pub const MAX_HELLO: usize = 16 * 1024;
/// The most bytes read while looking for it: the hello plus record headers,
/// however finely the client splits it.
pub const MAX_HELLO_BYTES: usize = 4 * MAX_HELLO;

const RECORD_HANDSHAKE: u8 = 22;
const HANDSHAKE_CLIENT_HELLO: u8 = 1;
const EXTENSION_SERVER_NAME: u16 = 0;
const NAME_TYPE_HOST_NAME: u8 = 0;

/// Reads a ClientHello from the start of `bytes`: `Ok(None)` while more bytes
/// are needed, the server name (if any) once the hello is complete.
pub fn server_name(bytes: &[u8]) -> Result<Option<Option<String>>, Reason> {
    let mut handshake = Vec::new();
    let mut rest = bytes;
    loop {
        if !rest.is_empty() && rest[0] != RECORD_HANDSHAKE {
            return Err(Reason::NotTls);
        }
        if rest.len() >= 2 && rest[1] != 3 {
            return Err(Reason::NotTls);
        }
        if rest.len() < 5 {
            return if bytes.len() > MAX_HELLO_BYTES {
                Err(Reason::TooLarge)
            } else {
                Ok(None)
            };
        }
        let length = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
        if length == 0 || length > 16 * 1024 {
            return Err(Reason::Malformed);
        }
        let Some(fragment) = rest.get(5..5 + length) else {
            return if bytes.len() > MAX_HELLO_BYTES {
                Err(Reason::TooLarge)
            } else {
                Ok(None)
            };
        };
        handshake.extend_from_slice(fragment);
        rest = &rest[5 + length..];
        if handshake.len() < 4 {
            continue;
        }
        if handshake[0] != HANDSHAKE_CLIENT_HELLO {
            return Err(Reason::NotTls);
        }
        let hello_length = usize::from(handshake[1]) << 16
            | usize::from(handshake[2]) << 8
            | usize::from(handshake[3]);
        if hello_length > MAX_HELLO {
            return Err(Reason::TooLarge);
        }
        match handshake.len().cmp(&(4 + hello_length)) {
            std::cmp::Ordering::Less => continue,
            // The ClientHello travels alone; anything after it in its own
            // records is something this parser would not see.
            std::cmp::Ordering::Greater => return Err(Reason::Malformed),
            std::cmp::Ordering::Equal => return hello(&handshake[4..]).map(Some),
        }
    }
}

/// A cursor that fails with `Malformed` instead of reading past the end.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, count: usize) -> Result<&'a [u8], Reason> {
        if self.0.len() < count {
            return Err(Reason::Malformed);
        }
        let (head, tail) = self.0.split_at(count);
        self.0 = tail;
        Ok(head)
    }

    fn u8(&mut self) -> Result<u8, Reason> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, Reason> {
        let bytes = self.take(2)?;
        Ok(u16::from_be_bytes([bytes[0], bytes[1]]))
    }

    fn vec8(&mut self) -> Result<Reader<'a>, Reason> {
        let length = self.u8()?;
        Ok(Reader(self.take(usize::from(length))?))
    }

    fn vec16(&mut self) -> Result<Reader<'a>, Reason> {
        let length = self.u16()?;
        Ok(Reader(self.take(usize::from(length))?))
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn hello(body: &[u8]) -> Result<Option<String>, Reason> {
    let mut hello = Reader(body);
    let _legacy_version = hello.take(2)?;
    let _random = hello.take(32)?;
    let session_id = hello.vec8()?;
    let ciphers = hello.vec16()?;
    let compression = hello.vec8()?;
    if session_id.0.len() > 32
        || ciphers.is_empty()
        || ciphers.0.len() % 2 != 0
        || compression.is_empty()
    {
        return Err(Reason::Malformed);
    }
    if hello.is_empty() {
        return Ok(None);
    }
    let mut extensions = hello.vec16()?;
    if !hello.is_empty() {
        return Err(Reason::Malformed);
    }
    let mut seen = Vec::new();
    let mut name = None;
    while !extensions.is_empty() {
        let kind = extensions.u16()?;
        let mut data = extensions.vec16()?;
        if seen.contains(&kind) {
            return Err(Reason::Malformed);
        }
        seen.push(kind);
        if kind == EXTENSION_SERVER_NAME {
            let mut names = data.vec16()?;
            if !data.is_empty() || names.is_empty() {
                return Err(Reason::Malformed);
            }
            if names.u8()? != NAME_TYPE_HOST_NAME {
                return Err(Reason::Malformed);
            }
            let host = names.vec16()?.0;
            if !names.is_empty() || host.is_empty() {
                return Err(Reason::Malformed);
            }
            name = Some(String::from_utf8(host.to_vec()).map_err(|_| Reason::Malformed)?);
        }
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Recorded from `openssl s_client` (OpenSSL 3.0.19) connecting to a local
    // socket that kept the first bytes it received:
    //   sni.bin    -servername allowed.test                  (TLS 1.3)
    //   nosni.bin  -noservername
    //   tls12.bin  -tls1_2 -servername Allowed.Test.
    //   alpn.bin   -servername api.example.org -alpn h2,http/1.1 -groups X25519:P-256:...
    const SNI: &[u8] = include_bytes!("tests/data/sni.bin");
    const NO_SNI: &[u8] = include_bytes!("tests/data/nosni.bin");
    const TLS12: &[u8] = include_bytes!("tests/data/tls12.bin");
    const ALPN: &[u8] = include_bytes!("tests/data/alpn.bin");

    fn name(bytes: &[u8]) -> Result<Option<Option<String>>, Reason> {
        server_name(bytes)
    }

    fn some(text: &str) -> Result<Option<Option<String>>, Reason> {
        Ok(Some(Some(text.into())))
    }

    #[test]
    fn real_client_hellos_give_their_server_name() {
        assert_eq!(name(SNI), some("allowed.test"));
        assert_eq!(name(TLS12), some("Allowed.Test."));
        assert_eq!(name(ALPN), some("api.example.org"));
        assert_eq!(name(NO_SNI), Ok(Some(None)));
    }

    #[test]
    fn every_prefix_asks_for_more() {
        for end in 0..SNI.len() {
            assert_eq!(name(&SNI[..end]), Ok(None), "{end} bytes");
        }
    }

    /// The same hello split over records of `size` bytes of handshake each.
    fn fragmented(hello: &[u8], size: usize) -> Vec<u8> {
        let body = &hello[5..];
        let mut out = Vec::new();
        for chunk in body.chunks(size) {
            out.extend_from_slice(&[22, 3, 1]);
            out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
            out.extend_from_slice(chunk);
        }
        out
    }

    #[test]
    fn a_hello_split_over_records_is_read_whole() {
        for size in [1, 2, 3, 100] {
            assert_eq!(name(&fragmented(SNI, size)), some("allowed.test"), "{size}");
        }
    }

    #[test]
    fn bytes_after_the_hello_record_are_the_next_records() {
        let mut bytes = SNI.to_vec();
        bytes.extend_from_slice(&[20, 3, 3, 0, 1, 1]);
        assert_eq!(name(&bytes), some("allowed.test"));
    }

    #[test]
    fn what_is_not_a_client_hello_is_refused() {
        assert_eq!(name(b"GET / HTTP/1.1\r\n"), Err(Reason::NotTls));
        assert_eq!(name(b"\x16\x02"), Err(Reason::NotTls));
        // A server hello (type 2) in a handshake record.
        let mut server_hello = SNI.to_vec();
        server_hello[5] = 2;
        assert_eq!(name(&server_hello), Err(Reason::NotTls));
        assert_eq!(name(&[22, 3, 1, 0, 0]), Err(Reason::Malformed));
        assert_eq!(name(&[22, 3, 1, 0x40, 1]), Err(Reason::Malformed));
    }

    #[test]
    fn an_oversized_hello_is_refused_before_it_is_read() {
        assert_eq!(
            name(&[22, 3, 1, 0, 4, 1, 0x01, 0, 0]),
            Err(Reason::TooLarge)
        );
        // A hello of allowed size sent a byte per record ends the search
        // once the bytes read pass the bound.
        let mut tiny = vec![22, 3, 1, 0, 4, 1, 0, 0x3f, 0xff];
        tiny.extend(
            std::iter::repeat_n([22u8, 3, 1, 0, 1, 0], (MAX_HELLO_BYTES - 9) / 6).flatten(),
        );
        assert_eq!(name(&tiny), Ok(None));
        tiny.extend_from_slice(&[22, 3, 1, 0, 1, 0]);
        assert_eq!(name(&tiny), Err(Reason::TooLarge));
    }

    /// Rewrites the hello with its extensions block replaced by `extensions`.
    fn with_extensions(extensions: &[u8]) -> Vec<u8> {
        let body = &SNI[9..];
        let session_id_end = 34 + 1 + usize::from(body[34]);
        let ciphers = usize::from(u16::from_be_bytes([
            body[session_id_end],
            body[session_id_end + 1],
        ]));
        let compression_at = session_id_end + 2 + ciphers;
        let head = &body[..compression_at + 1 + usize::from(body[compression_at])];
        let mut hello = head.to_vec();
        hello.extend_from_slice(&(extensions.len() as u16).to_be_bytes());
        hello.extend_from_slice(extensions);
        let mut handshake = vec![1, 0];
        handshake.extend_from_slice(&(hello.len() as u16).to_be_bytes());
        handshake.extend_from_slice(&hello);
        let mut record = vec![22, 3, 1];
        record.extend_from_slice(&(handshake.len() as u16).to_be_bytes());
        record.extend_from_slice(&handshake);
        record
    }

    fn sni_extension(host: &[u8]) -> Vec<u8> {
        let mut list = vec![0];
        list.extend_from_slice(&(host.len() as u16).to_be_bytes());
        list.extend_from_slice(host);
        let mut data = (list.len() as u16).to_be_bytes().to_vec();
        data.extend_from_slice(&list);
        let mut extension = vec![0, 0];
        extension.extend_from_slice(&(data.len() as u16).to_be_bytes());
        extension.extend_from_slice(&data);
        extension
    }

    #[test]
    fn rebuilt_hellos_check_the_parser_itself() {
        assert_eq!(
            name(&with_extensions(&sni_extension(b"a.test"))),
            some("a.test")
        );
        assert_eq!(name(&with_extensions(&[])), Ok(Some(None)));
    }

    #[test]
    fn ambiguous_server_names_are_refused() {
        let twice = [sni_extension(b"allowed.test"), sni_extension(b"evil.test")].concat();
        assert_eq!(name(&with_extensions(&twice)), Err(Reason::Malformed));
        assert_eq!(
            name(&with_extensions(&sni_extension(b""))),
            Err(Reason::Malformed)
        );
        assert_eq!(
            name(&with_extensions(&sni_extension(b"\xff.test"))),
            Err(Reason::Malformed)
        );
        // A second name in the one extension.
        let mut two_names = sni_extension(b"allowed.test");
        two_names.extend_from_slice(&[0, 0, 4, b'e', b'v', b'i', b'l']);
        let list_length = u16::from_be_bytes([two_names[4], two_names[5]]) + 7;
        two_names[4..6].copy_from_slice(&list_length.to_be_bytes());
        let extension_length = u16::from_be_bytes([two_names[2], two_names[3]]) + 7;
        two_names[2..4].copy_from_slice(&extension_length.to_be_bytes());
        assert_eq!(name(&with_extensions(&two_names)), Err(Reason::Malformed));
    }

    #[test]
    fn lengths_that_overrun_are_refused() {
        let mut bad = sni_extension(b"allowed.test");
        bad[3] += 1;
        assert_eq!(name(&with_extensions(&bad)), Err(Reason::Malformed));
        let mut trailing = with_extensions(&sni_extension(b"allowed.test"));
        // One byte more in the record and handshake than in the hello.
        trailing.push(0);
        let record = u16::from_be_bytes([trailing[3], trailing[4]]) + 1;
        trailing[3..5].copy_from_slice(&record.to_be_bytes());
        trailing[8] += 1;
        assert_eq!(name(&trailing), Err(Reason::Malformed));
    }
}
