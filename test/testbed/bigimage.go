package testbed

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
)

// The big image, test/big:latest: what `make bench` pulls to time a pull
// and what the pull-speed test pulls and runs. It is the busybox fixture's
// two layers plus four generated ones, the same bytes on every build (a
// fixed seed), about 115 MB unpacked and 90 MB compressed, mixed like a
// real image:
//
//	layer 3  usr/share/doc: 2400 small text files (200 B – 8 KiB), 60 dirs
//	layer 4  usr/lib: 8 text files of 1–3 MiB and 4 random "binaries" of
//	         2–6 MiB
//	layer 5  opt/data: two random files, 40 and 20 MiB (incompressible)
//	layer 6  srv/app: 800 small files, half text, half random; deletes
//	         usr/share/doc/pkg000/README (a whiteout), replaces the
//	         directory usr/share/doc/pkg001 (opaque), overwrites
//	         usr/lib/text0.dat; a symlink and a hard link
//
// Layers of different sizes and kinds: many small files cost in metadata,
// the random ones in bytes to move and hash, the text ones in
// decompression.
const bigSeed = 20261202

// BigCheck is what a file of the big image holds: its path and the
// sha256 of its content, or Absent when a later layer deleted it.
type BigCheck struct {
	Path   string
	SHA256 string
	Absent bool
}

// BigImage is the big image and what to check in a container of it.
type BigImage struct {
	*Image
	// Checks are a sample of files from every layer (the biggest ones
	// included) and the paths later layers delete.
	Checks []BigCheck
	// OpaqueDir is a directory layer 6 replaced: it holds only OpaqueOnly.
	OpaqueDir, OpaqueOnly string
	// Unpacked is the size of the generated files (busybox not counted).
	Unpacked int64
}

// BuildBig builds test/big:latest on top of base (the busybox fixture).
func BuildBig(base *Image) (*BigImage, error) {
	if len(base.diffIDs) != len(base.Layers) {
		return nil, fmt.Errorf("%s was not built by this package", base.Name())
	}
	g := newBigGen()
	specs := [][]entry{g.docLayer(), g.libLayer(), g.dataLayer(), g.appLayer()}
	// Compression is most of the build's time: one layer per goroutine.
	built := make([]layer, len(specs))
	errs := make([]error, len(specs))
	var wg sync.WaitGroup
	for i, s := range specs {
		wg.Go(func() { built[i], errs[i] = buildLayer(s) })
	}
	wg.Wait()
	big := &BigImage{OpaqueDir: "/usr/share/doc/pkg001", OpaqueOnly: "REPLACED"}
	layers := make([]layer, 0, len(base.Layers)+len(specs))
	for i, b := range base.Layers {
		layers = append(layers, layer{blob: b, diffID: base.diffIDs[i]})
	}
	for i, l := range built {
		if errs[i] != nil {
			return nil, fmt.Errorf("big image layer %d: %w", len(base.Layers)+i+1, errs[i])
		}
		layers = append(layers, l)
	}
	for _, s := range specs {
		for _, e := range s {
			big.Unpacked += int64(len(e.body))
		}
	}
	rc := base.config
	rc.Env = append(append([]string{}, rc.Env...), "FIXTURE=big")
	img, err := assemble("test/big", "latest", layers, rc)
	if err != nil {
		return nil, err
	}
	big.Image = img
	big.Checks = g.checks
	return big, nil
}

// bigGen makes the layers' entries from one seeded generator, in a fixed
// order, and notes the files to check.
type bigGen struct {
	rnd    *rand.Rand
	words  []string
	checks []BigCheck
}

func newBigGen() *bigGen {
	var seed [32]byte
	copy(seed[:], fmt.Sprint(bigSeed))
	g := &bigGen{rnd: rand.New(rand.NewChaCha8(seed))}
	// A vocabulary of made-up words: text that compresses like prose.
	const letters = "etaoinshrdlucmfwypvbgkjqxz"
	for range 400 {
		n := 2 + g.rnd.IntN(9)
		var b strings.Builder
		for range n {
			// Skewed towards the frequent letters.
			b.WriteByte(letters[g.rnd.IntN(len(letters))*g.rnd.IntN(len(letters))/len(letters)])
		}
		g.words = append(g.words, b.String())
	}
	return g
}

func (g *bigGen) text(size int) string {
	var b strings.Builder
	b.Grow(size + 16)
	col := 0
	for b.Len() < size {
		w := g.words[g.rnd.IntN(len(g.words))]
		b.WriteString(w)
		col += len(w) + 1
		if col > 72 {
			b.WriteByte('\n')
			col = 0
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()[:size]
}

func (g *bigGen) random(size int) string {
	b := make([]byte, size)
	for i := 0; i < size; i += 8 {
		v := g.rnd.Uint64()
		for j := 0; j < 8 && i+j < size; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return string(b)
}

// check notes a file to verify in the container.
func (g *bigGen) check(e entry) entry {
	sum := sha256.Sum256([]byte(e.body))
	g.checks = append(g.checks, BigCheck{Path: "/" + e.name, SHA256: hex.EncodeToString(sum[:])})
	return e
}

func (g *bigGen) docLayer() []entry {
	es := []entry{dir("usr/", 0o755), dir("usr/share/", 0o755), dir("usr/share/doc/", 0o755)}
	for p := range 60 {
		d := fmt.Sprintf("usr/share/doc/pkg%03d/", p)
		es = append(es, dir(d, 0o755))
		for f := range 40 {
			name := fmt.Sprintf("%sfile%02d.txt", d, f)
			if f == 0 {
				name = d + "README"
			}
			e := file(name, g.text(200+g.rnd.IntN(8*1024-200)))
			if p == 0 && f == 0 {
				// Deleted by layer 6.
				g.checks = append(g.checks, BigCheck{Path: "/" + name, Absent: true})
			} else if p == 1 {
				// Its directory is replaced by layer 6.
				if f == 1 {
					g.checks = append(g.checks, BigCheck{Path: "/" + name, Absent: true})
				}
			} else if f == 7 {
				e = g.check(e)
			}
			es = append(es, e)
		}
	}
	return es
}

func (g *bigGen) libLayer() []entry {
	es := []entry{dir("usr/", 0o755), dir("usr/lib/", 0o755)}
	for i := range 8 {
		es = append(es, g.check(file(fmt.Sprintf("usr/lib/text%d.dat", i), g.text(1<<20+g.rnd.IntN(2<<20)))))
	}
	for i := range 4 {
		e := entry{name: fmt.Sprintf("usr/lib/libbig%d.so", i), typ: tar.TypeReg, mode: 0o755, body: g.random(2<<20 + g.rnd.IntN(4<<20))}
		es = append(es, g.check(e))
	}
	return es
}

func (g *bigGen) dataLayer() []entry {
	return []entry{
		dir("opt/", 0o755),
		dir("opt/data/", 0o755),
		g.check(file("opt/data/blob40", g.random(40<<20))),
		g.check(file("opt/data/blob20", g.random(20<<20))),
	}
}

func (g *bigGen) appLayer() []entry {
	es := []entry{
		dir("usr/", 0o755), dir("usr/share/", 0o755), dir("usr/share/doc/", 0o755),
		dir("usr/share/doc/pkg000/", 0o755),
		file("usr/share/doc/pkg000/.wh.README", ""),
		dir("usr/share/doc/pkg001/", 0o755),
		file("usr/share/doc/pkg001/.wh..wh..opq", ""),
		g.check(file("usr/share/doc/pkg001/REPLACED", "layer 6 replaced this directory\n")),
		dir("srv/", 0o755), dir("srv/app/", 0o755),
	}
	for d := range 20 {
		sub := fmt.Sprintf("srv/app/m%02d/", d)
		es = append(es, dir(sub, 0o755))
		for f := range 40 {
			size := 512 + g.rnd.IntN(20*1024)
			body := g.text(size)
			if f%2 == 1 {
				body = g.random(size)
			}
			e := entry{name: fmt.Sprintf("%sf%02d", sub, f), typ: tar.TypeReg, mode: 0o644, uid: 1000, gid: 1000, body: body}
			if f == 3 {
				e = g.check(e)
			}
			es = append(es, e)
		}
	}
	es = append(es,
		entry{name: "srv/app/current", typ: tar.TypeSymlink, mode: 0o777, link: "m00"},
		entry{name: "srv/app/hardlink", typ: tar.TypeLink, link: "srv/app/m00/f03"},
		dir("usr/lib/", 0o755),
		file("usr/lib/text0.dat", "layer 6 overwrote this file\n"),
	)
	g.recheck("/srv/app/m00/f03", "/srv/app/hardlink", "")
	g.recheck("/usr/lib/text0.dat", "/usr/lib/text0.dat", "layer 6 overwrote this file\n")
	return es
}

// recheck adds a check for path: the content of the checked file from,
// or body if it is not empty (a file a later layer overwrote).
func (g *bigGen) recheck(from, path, body string) {
	for i, c := range g.checks {
		if c.Path != from {
			continue
		}
		if body == "" {
			g.checks = append(g.checks, BigCheck{Path: path, SHA256: c.SHA256})
		} else {
			sum := sha256.Sum256([]byte(body))
			g.checks[i].SHA256 = hex.EncodeToString(sum[:])
		}
		return
	}
	panic("bigimage: no check for " + from)
}
