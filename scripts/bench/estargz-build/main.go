// Command estargz-build converts plain tar layers to eStargz with the
// stargz-snapshotter estargz package (estargz.Build), for the benchmark's
// side-by-side figures. It writes each blob to OUTDIR and prints one JSON
// line per layer and one for the whole run:
//
//	estargz-build [-parts N] [-level L] [-chunk-size B] -out OUTDIR LAYER.tar...
//
// estargz.Build splits a layer into runtime.GOMAXPROCS(0) parts and
// compresses them in parallel, so -parts sets GOMAXPROCS; the blob's bytes
// depend on that number.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/containerd/stargz-snapshotter/estargz"
)

type layerResult struct {
	Layer     string  `json:"layer"`
	InBytes   int64   `json:"inBytes"`
	OutBytes  int64   `json:"outBytes"`
	Seconds   float64 `json:"seconds"`
	Digest    string  `json:"digest"`
	DiffID    string  `json:"diffID"`
	TOCDigest string  `json:"tocDigest"`
}

type totalResult struct {
	Total    bool    `json:"total"`
	Parts    int     `json:"parts"`
	Level    int     `json:"level"`
	InBytes  int64   `json:"inBytes"`
	OutBytes int64   `json:"outBytes"`
	Seconds  float64 `json:"seconds"`
}

func main() {
	parts := flag.Int("parts", runtime.NumCPU(), "parts per layer (GOMAXPROCS)")
	level := flag.Int("level", 9, "gzip level")
	chunkSize := flag.Int("chunk-size", 4<<20, "largest chunk of a file per gzip member, in bytes")
	out := flag.String("out", "", "folder for the built blobs (required)")
	flag.Parse()
	if *out == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: estargz-build [-parts N] [-level L] [-chunk-size B] -out OUTDIR LAYER.tar...")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(*parts)
	total := totalResult{Total: true, Parts: *parts, Level: *level}
	started := time.Now()
	for _, layer := range flag.Args() {
		result, err := build(layer, *out, *level, *chunkSize)
		if err != nil {
			fmt.Fprintf(os.Stderr, "estargz-build: %s: %v\n", layer, err)
			os.Exit(1)
		}
		emit(result)
		total.InBytes += result.InBytes
		total.OutBytes += result.OutBytes
	}
	total.Seconds = time.Since(started).Seconds()
	emit(total)
}

func emit(v interface{}) {
	line, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(line))
}

// build converts one layer and writes the blob to OUTDIR/<name>.esgz.
func build(layer, outDir string, level, chunkSize int) (layerResult, error) {
	result := layerResult{Layer: layer}
	started := time.Now()
	file, err := os.Open(layer)
	if err != nil {
		return result, err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return result, err
	}
	result.InBytes = info.Size()

	blob, err := estargz.Build(io.NewSectionReader(file, 0, info.Size()),
		estargz.WithCompressionLevel(level), estargz.WithChunkSize(chunkSize))
	if err != nil {
		return result, fmt.Errorf("building: %w", err)
	}

	name := strings.TrimSuffix(filepath.Base(layer), ".tar") + ".esgz"
	output, err := os.Create(filepath.Join(outDir, name))
	if err != nil {
		blob.Close()
		return result, err
	}

	hash := sha256.New()
	written, copyErr := io.Copy(io.MultiWriter(output, hash), blob)
	closeErr := blob.Close()
	if err := output.Close(); err != nil && copyErr == nil {
		copyErr = err
	}
	if copyErr != nil {
		return result, fmt.Errorf("writing the blob: %w", copyErr)
	}
	if closeErr != nil {
		return result, fmt.Errorf("closing the blob: %w", closeErr)
	}

	result.OutBytes = written
	result.Seconds = time.Since(started).Seconds()
	result.Digest = "sha256:" + hex.EncodeToString(hash.Sum(nil))
	result.DiffID = blob.DiffID().String()
	result.TOCDigest = blob.TOCDigest().String()
	return result, nil
}
