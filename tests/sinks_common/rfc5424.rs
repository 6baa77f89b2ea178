//! An RFC 5424 parser written from the RFC, independent of the sink's encoder.

/// An RFC 5424 message taken apart.
#[derive(Debug)]
pub struct Syslog {
    pub pri: u16,
    pub version: String,
    pub timestamp: String,
    pub hostname: String,
    pub app_name: String,
    pub procid: String,
    pub msgid: String,
    pub sd_id: String,
    pub params: Vec<(String, String)>,
    pub msg: String,
}

impl Syslog {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Parses `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP
/// [SD-ID PARAM="VALUE"...] SP MSG`, panicking on anything RFC 5424 does not allow.
pub fn parse_rfc5424(line: &str) -> Syslog {
    let rest = line.strip_prefix('<').expect("starts with <PRI>");
    let (pri, rest) = rest.split_once('>').expect("PRI closes");
    let mut fields = rest.splitn(7, ' ');
    let mut next = || fields.next().expect("header field").to_string();
    let (version, timestamp, hostname, app_name, procid, msgid) =
        (next(), next(), next(), next(), next(), next());
    let structured = next();
    for field in [&timestamp, &hostname, &app_name, &procid, &msgid] {
        assert!(
            !field.is_empty() && field.bytes().all(|b| (33..=126).contains(&b)),
            "{line}"
        );
    }
    let mut chars = structured.chars().peekable();
    assert_eq!(chars.next(), Some('['), "one SD-ELEMENT: {line}");
    let sd_id: String = chars.by_ref().take_while(|&c| c != ' ').collect();
    let mut params = Vec::new();
    loop {
        let name: String = chars.by_ref().take_while(|&c| c != '=').collect();
        assert_eq!(chars.next(), Some('"'), "{line}");
        let mut value = String::new();
        loop {
            match chars.next().expect("PARAM-VALUE closes") {
                '\\' => value.push(chars.next().unwrap()),
                '"' => break,
                ']' => panic!("unescaped ] in PARAM-VALUE: {line}"),
                c => value.push(c),
            }
        }
        params.push((name, value));
        match chars.next() {
            Some(' ') => continue,
            Some(']') => break,
            other => panic!("after a param: {other:?} in {line}"),
        }
    }
    assert_eq!(chars.next(), Some(' '), "SP before MSG: {line}");
    let msg: String = chars.collect();
    Syslog {
        pri: pri.parse().expect("PRI is a number"),
        version,
        timestamp,
        hostname,
        app_name,
        procid,
        msgid,
        sd_id,
        params,
        msg: msg.trim_start_matches('\u{feff}').to_string(),
    }
}
