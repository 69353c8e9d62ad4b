package report

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
)

// pngSignature and the IHDR chunk (8 + 4 + 4 + 13 + 4 bytes) start every
// PNG file that image/png writes.
const (
	pngSignature = "\x89PNG\r\n\x1a\n"
	pngIHDREnd   = 8 + 4 + 4 + 13 + 4
)

// writePNGWithDPI copies the PNG in b to w with a pHYs chunk (PNG 1.2
// §11.3.5.3: pixels per metre, unit 1) right after IHDR, so that word
// processors place a 300 dpi chart at its printed size instead of
// assuming 72 or 96 dpi. image/png writes no pHYs chunk.
func writePNGWithDPI(w io.Writer, b []byte, dpi int) error {
	if len(b) < pngIHDREnd || string(b[:8]) != pngSignature || string(b[12:16]) != "IHDR" {
		panic("report: not a PNG from image/png")
	}
	ppm := uint32(math.Round(float64(dpi) / 0.0254))
	var chunk bytes.Buffer
	data := make([]byte, 9)
	binary.BigEndian.PutUint32(data[0:4], ppm)
	binary.BigEndian.PutUint32(data[4:8], ppm)
	data[8] = 1 // unit: metre
	binary.Write(&chunk, binary.BigEndian, uint32(len(data)))
	typed := append([]byte("pHYs"), data...)
	chunk.Write(typed)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(typed))
	for _, part := range [][]byte{b[:pngIHDREnd], chunk.Bytes(), b[pngIHDREnd:]} {
		if _, err := w.Write(part); err != nil {
			return err
		}
	}
	return nil
}

// pngDPI reads the resolution of a PNG's pHYs chunk in dots per inch (0
// when there is none or its unit is not the metre).
func pngDPI(b []byte) float64 {
	if len(b) < 8 || string(b[:8]) != pngSignature {
		return 0
	}
	for p := 8; p+12 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		if typ == "pHYs" && n == 9 && p+8+9 <= len(b) && b[p+16] == 1 {
			return float64(binary.BigEndian.Uint32(b[p+8:])) * 0.0254
		}
		if typ == "IDAT" || typ == "IEND" {
			return 0
		}
		p += 12 + n
	}
	return 0
}
