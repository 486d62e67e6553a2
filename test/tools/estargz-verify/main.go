// Command estargz-verify checks an eStargz blob with the stargz-snapshotter
// estargz package, as a test oracle for the project's own eStargz writer.
//
//	estargz-verify -toc-digest sha256:HEX [-list] BLOB
//
// It opens the blob (footer, TOC), checks the TOC digest with VerifyTOC,
// then reads every regular file chunk by chunk through the chunk verifiers
// and checks each file's digest. On success it prints one line of JSON with
// counts. With -list it first prints one JSON line per entry as the reader
// sees it. On failure it prints the reason on stderr and exits 1, and usage
// errors exit 2.
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"sort"

	"github.com/containerd/stargz-snapshotter/estargz"
	digest "github.com/opencontainers/go-digest"
)

type summary struct {
	TOCDigest string `json:"tocDigest"`
	Files     int    `json:"files"`
	Chunks    int    `json:"chunks"`
	Bytes     int64  `json:"bytes"`
}

// listedEntry is what -list prints for each entry reachable from the root.
type listedEntry struct {
	Name     string            `json:"name"`
	Type     string            `json:"type"`
	Size     int64             `json:"size"`
	Mode     int64             `json:"mode"`
	UID      int               `json:"uid"`
	GID      int               `json:"gid"`
	LinkName string            `json:"linkName,omitempty"`
	ModTime  string            `json:"modtime,omitempty"`
	DevMajor int               `json:"devMajor,omitempty"`
	DevMinor int               `json:"devMinor,omitempty"`
	Xattrs   map[string][]byte `json:"xattrs,omitempty"`
	Digest   string            `json:"digest,omitempty"`
}

func main() {
	tocDigest := flag.String("toc-digest", "", "expected TOC digest, sha256:HEX (required)")
	list := flag.Bool("list", false, "print one JSON line per entry before the summary")
	flag.Parse()
	if *tocDigest == "" || flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: estargz-verify -toc-digest sha256:HEX [-list] BLOB")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *tocDigest, *list); err != nil {
		fmt.Fprintf(os.Stderr, "estargz-verify: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
}

func run(blobPath, tocDigest string, list bool) error {
	want, err := digest.Parse(tocDigest)
	if err != nil {
		return fmt.Errorf("invalid -toc-digest: %w", err)
	}

	f, err := os.Open(blobPath)
	if err != nil {
		return err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	r, err := estargz.Open(io.NewSectionReader(f, 0, info.Size()))
	if err != nil {
		return fmt.Errorf("opening: %w", err)
	}
	verifier, err := r.VerifyTOC(want)
	if err != nil {
		return fmt.Errorf("verifying TOC: %w", err)
	}

	root, ok := r.Lookup("")
	if !ok {
		return fmt.Errorf("no root directory in the TOC")
	}
	sum := summary{TOCDigest: r.TOCDigest().String()}
	seen := map[*estargz.TOCEntry]bool{}
	err = walk(root, "", func(name string, e *estargz.TOCEntry) error {
		if list {
			if err := printEntry(name, e); err != nil {
				return err
			}
		}
		if e.Type != "reg" || seen[e] {
			return nil
		}
		seen[e] = true
		chunks, err := verifyFile(r, verifier, e)
		if err != nil {
			return fmt.Errorf("file %q: %w", e.Name, err)
		}
		sum.Files++
		sum.Chunks += chunks
		sum.Bytes += e.Size
		return nil
	})
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(sum)
}

// walk visits the children of dir in name order, depth first. Hard links
// appear under their own names but share their target's entry.
func walk(dir *estargz.TOCEntry, dirName string, visit func(string, *estargz.TOCEntry) error) error {
	var names []string
	children := map[string]*estargz.TOCEntry{}
	dir.ForeachChild(func(base string, e *estargz.TOCEntry) bool {
		names = append(names, base)
		children[base] = e
		return true
	})
	sort.Strings(names)
	for _, base := range names {
		e := children[base]
		name := path.Join(dirName, base)
		if err := visit(name, e); err != nil {
			return err
		}
		if e.Type == "dir" {
			if err := walk(e, name, visit); err != nil {
				return err
			}
		}
	}
	return nil
}

// verifyFile reads a file's chunks through their verifiers and checks the
// digest of the whole content; it returns the number of chunks.
func verifyFile(r *estargz.Reader, v estargz.TOCEntryVerifier, e *estargz.TOCEntry) (int, error) {
	if e.Size == 0 {
		return 0, nil
	}
	content, err := r.OpenFile(e.Name)
	if err != nil {
		return 0, err
	}
	whole := sha256.New()
	chunks := 0
	for off := int64(0); off < e.Size; {
		ce, ok := r.ChunkEntryForOffset(e.Name, off)
		if !ok || ce.ChunkSize <= 0 {
			return chunks, fmt.Errorf("no chunk at offset %d", off)
		}
		cv, err := v.Verifier(ce)
		if err != nil {
			return chunks, err
		}
		section := io.NewSectionReader(content, ce.ChunkOffset, ce.ChunkSize)
		if _, err := io.Copy(io.MultiWriter(cv, whole), section); err != nil {
			return chunks, fmt.Errorf("reading chunk at offset %d: %w", ce.ChunkOffset, err)
		}
		if !cv.Verified() {
			return chunks, fmt.Errorf("chunk at offset %d does not match its digest", ce.ChunkOffset)
		}
		chunks++
		off = ce.ChunkOffset + ce.ChunkSize
	}
	if e.Digest != "" {
		got := digest.NewDigestFromBytes(digest.SHA256, whole.Sum(nil))
		if got.String() != e.Digest {
			return chunks, fmt.Errorf("content digest %s, TOC has %s", got, e.Digest)
		}
	}
	return chunks, nil
}

func printEntry(name string, e *estargz.TOCEntry) error {
	out := listedEntry{
		Name:     name,
		Type:     e.Type,
		Size:     e.Size,
		Mode:     e.Mode,
		UID:      e.UID,
		GID:      e.GID,
		LinkName: e.LinkName,
		ModTime:  e.ModTime3339,
		DevMajor: e.DevMajor,
		DevMinor: e.DevMinor,
		Xattrs:   e.Xattrs,
		Digest:   e.Digest,
	}
	if len(out.Xattrs) == 0 {
		out.Xattrs = nil
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}
