package arrowio

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"
)

// xmlScanner is a minimal pull tokenizer for the parts of a workbook that
// are streamed (worksheets and the shared strings). It reads elements,
// attributes and text of well-formed XML without building a tree and
// without allocating per token: encoding/xml allocates for every token and
// was the bottleneck of reading a sheet. It does not validate; DTDs are
// refused. Slices it returns (name, attributes, text) are valid until the
// next call of next.
type xmlScanner struct {
	r    io.Reader
	buf  []byte
	pos  int
	end  int
	eof  bool
	kind int
	name []byte // element name without namespace prefix
	raw  []byte // the tag's bytes after its name (attributes)
	text []byte // tokText: raw text (still escaped)
	self bool   // tokStart: <a/>
	err  error
}

const (
	tokEOF = iota
	tokStart
	tokEnd
	tokText
)

var errXMLSyntax = errors.New("malformed XML")

// maxXMLToken bounds one token (a cell's text is at most 32767 characters).
const maxXMLToken = 64 << 20

func newXMLScanner(r io.Reader) *xmlScanner {
	return &xmlScanner{r: r, buf: make([]byte, 256<<10)}
}

// fill moves the unread bytes to the front and reads more; false at the
// end of input or on error (then s.err is set unless it is EOF).
func (s *xmlScanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		s.end = copy(s.buf, s.buf[s.pos:s.end])
		s.pos = 0
	}
	if s.end == len(s.buf) {
		if len(s.buf) >= maxXMLToken {
			s.err = errXMLSyntax
			return false
		}
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	n, err := io.ReadAtLeast(s.r, s.buf[s.end:], 1)
	s.end += n
	if err != nil {
		s.eof = true
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			s.err = err
		}
		return n > 0
	}
	return true
}

// next advances to the next token. Comments and processing instructions
// are skipped.
func (s *xmlScanner) next() int {
	for {
		if s.err != nil {
			return tokEOF
		}
		if s.pos >= s.end && !s.fill() {
			s.kind = tokEOF
			return tokEOF
		}
		if s.buf[s.pos] != '<' {
			j := s.pos
			for {
				for j < s.end && s.buf[j] != '<' {
					j++
				}
				if j < s.end {
					break
				}
				k := j - s.pos
				if !s.fill() {
					s.kind = tokEOF // text after the root element
					return tokEOF
				}
				j = s.pos + k
			}
			s.text = s.buf[s.pos:j]
			s.pos = j
			s.kind = tokText
			return tokText
		}
		// a tag: find its '>' outside quotes
		j := s.pos + 1
		var q byte
		for {
			for j < s.end {
				c := s.buf[j]
				if q != 0 {
					if c == q {
						q = 0
					}
				} else if c == '"' || c == '\'' {
					q = c
				} else if c == '>' {
					break
				}
				j++
			}
			if j < s.end && s.tagDone(j) {
				break
			}
			if j < s.end {
				j++ // a '>' inside a comment or CDATA section
				continue
			}
			k := j - s.pos
			if !s.fill() {
				if s.err == nil {
					s.err = io.ErrUnexpectedEOF
				}
				return tokEOF
			}
			j = s.pos + k
		}
		tag := s.buf[s.pos+1 : j]
		s.pos = j + 1
		if len(tag) == 0 {
			s.err = errXMLSyntax
			return tokEOF
		}
		switch tag[0] {
		case '?':
			continue
		case '!':
			if bytes.HasPrefix(tag, []byte("![CDATA[")) {
				s.text = s.cdata(tag[len("![CDATA[") : len(tag)-2])
				s.kind = tokText
				return tokText
			}
			if bytes.HasPrefix(tag, []byte("!DOCTYPE")) {
				s.err = errors.New("XML with a document type declaration is not accepted")
				return tokEOF
			}
			continue // a comment
		case '/':
			s.name = localName(bytes.TrimSpace(tag[1:]))
			s.kind = tokEnd
			return tokEnd
		}
		s.self = tag[len(tag)-1] == '/'
		if s.self {
			tag = tag[:len(tag)-1]
		}
		i := 0
		for i < len(tag) && !isSpace(tag[i]) {
			i++
		}
		s.name = localName(tag[:i])
		s.raw = tag[i:]
		s.kind = tokStart
		return tokStart
	}
}

// tagDone reports whether the '>' at j ends the tag that starts at s.pos:
// comments and CDATA sections end only with "-->" and "]]>".
func (s *xmlScanner) tagDone(j int) bool {
	t := s.buf[s.pos+1 : j+1]
	if len(t) == 0 || t[0] != '!' {
		return true
	}
	return tagComplete(t)
}

// cdata escapes the '&' of CDATA text, so that the caller's unescaping
// gives the text back.
func (s *xmlScanner) cdata(t []byte) []byte {
	if bytes.IndexByte(t, '&') < 0 {
		return t
	}
	return bytes.ReplaceAll(t, []byte("&"), []byte("&amp;"))
}

// tagComplete reports whether b (a tag up to a '>') is the whole tag: its
// '>' is not inside a quoted attribute value, a comment or a CDATA section.
func tagComplete(b []byte) bool {
	if len(b) > 0 && b[0] == '!' {
		switch {
		case bytes.HasPrefix(b, []byte("!--")):
			return bytes.HasSuffix(b, []byte("-->"))
		case bytes.HasPrefix(b, []byte("![CDATA[")):
			return bytes.HasSuffix(b, []byte("]]>"))
		}
	}
	var q byte
	for _, c := range b {
		switch {
		case q != 0:
			if c == q {
				q = 0
			}
		case c == '"' || c == '\'':
			q = c
		}
	}
	return q == 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func localName(b []byte) []byte {
	for i, c := range b {
		if c == ':' {
			return b[i+1:]
		}
	}
	return b
}

// attr3 returns the raw values of three attributes of the current start
// tag (nil for those it does not have) in one pass over its attributes.
func (s *xmlScanner) attr3(k1, k2, k3 string) (v1, v2, v3 []byte) {
	s.attrs(func(name, val []byte) {
		switch string(name) {
		case k1:
			v1 = val
		case k2:
			v2 = val
		case k3:
			v3 = val
		}
	})
	return
}

// attrs calls fn with the local name and raw (escaped) value of every
// attribute of the current start tag.
func (s *xmlScanner) attrs(fn func(name, val []byte)) {
	a := s.raw
	i := 0
	for i < len(a) {
		for i < len(a) && isSpace(a[i]) {
			i++
		}
		ns := i
		for i < len(a) && a[i] != '=' && !isSpace(a[i]) {
			i++
		}
		name := localName(a[ns:i])
		for i < len(a) && (isSpace(a[i]) || a[i] == '=') {
			i++
		}
		if i >= len(a) || (a[i] != '"' && a[i] != '\'') {
			return
		}
		q := a[i]
		i++
		vs := i
		for i < len(a) && a[i] != q {
			i++
		}
		if i >= len(a) {
			return
		}
		fn(name, a[vs:i])
		i++
	}
}

// attr returns the raw (escaped) value of the attribute with local name
// key of the current start tag, or nil.
func (s *xmlScanner) attr(key string) []byte {
	a := s.raw
	for len(a) > 0 {
		i := 0
		for i < len(a) && isSpace(a[i]) {
			i++
		}
		a = a[i:]
		eq := bytes.IndexByte(a, '=')
		if eq < 0 {
			return nil
		}
		name := localName(bytes.TrimSpace(a[:eq]))
		a = a[eq+1:]
		for len(a) > 0 && isSpace(a[0]) {
			a = a[1:]
		}
		if len(a) == 0 || (a[0] != '"' && a[0] != '\'') {
			return nil
		}
		q := a[0]
		end := bytes.IndexByte(a[1:], q)
		if end < 0 {
			return nil
		}
		val := a[1 : end+1]
		a = a[end+2:]
		if string(name) == key {
			return val
		}
	}
	return nil
}

// skip skips the rest of the current element (after its start tag).
func (s *xmlScanner) skip() {
	if s.self {
		return
	}
	depth := 1
	for depth > 0 {
		switch s.next() {
		case tokStart:
			if !s.self {
				depth++
			}
		case tokEnd:
			depth--
		case tokEOF:
			return
		}
	}
}

// appendUnescaped appends the text of XML character data: entities
// (&amp; &lt; &gt; &quot; &apos; &#N; &#xN;) and the _xHHHH_ escapes of
// OOXML strings (a character XML cannot hold, such as _x000D_ for a
// carriage return; _x005F_ escapes the underscore).
func appendUnescaped(dst, b []byte) []byte {
	if bytes.IndexByte(b, '&') < 0 && !bytes.Contains(b, []byte("_x")) {
		return append(dst, b...)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == '&' {
			end := bytes.IndexByte(b[i:], ';')
			if end > 1 {
				ent := b[i+1 : i+end]
				if r, ok := entity(ent); ok {
					dst = utf8.AppendRune(dst, r)
					i += end
					continue
				}
			}
			dst = append(dst, c)
			continue
		}
		if c == '_' && i+6 < len(b) && b[i+1] == 'x' && b[i+6] == '_' {
			if v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32); err == nil {
				dst = utf8.AppendRune(dst, rune(v))
				i += 6
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst
}

func entity(e []byte) (rune, bool) {
	switch string(e) {
	case "amp":
		return '&', true
	case "lt":
		return '<', true
	case "gt":
		return '>', true
	case "quot":
		return '"', true
	case "apos":
		return '\'', true
	}
	if len(e) > 1 && e[0] == '#' {
		var v uint64
		var err error
		if e[1] == 'x' || e[1] == 'X' {
			v, err = strconv.ParseUint(string(e[2:]), 16, 32)
		} else {
			v, err = strconv.ParseUint(string(e[1:]), 10, 32)
		}
		if err == nil && v <= utf8.MaxRune {
			return rune(v), true
		}
	}
	return 0, false
}
