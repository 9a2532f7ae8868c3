// An independent verifier of the ledger's C2SP checkpoints, for the tests: Go's reference
// signed-note implementation (golang.org/x/mod/sumdb/note, from Debian's
// golang-golang-x-mod-dev), plus a tlog-cosignature/v1 verifier written from the C2SP text.
//
//	note-verify <ledger vkey> [<cosigner vkey> ...] < note
//
// Prints "ok <name> [<time>]" for each verified signature and the parsed checkpoint
// ("origin", "size", "root" lines), or "error: …" and exits 1.
package main

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type cosigner struct {
	name string
	hash uint32
	key  ed25519.PublicKey
	time map[string]uint64
}

func (c *cosigner) Name() string    { return c.name }
func (c *cosigner) KeyHash() uint32 { return c.hash }
func (c *cosigner) Verify(msg, sig []byte) bool {
	if len(sig) != 8+ed25519.SignatureSize {
		return false
	}
	t := binary.BigEndian.Uint64(sig[:8])
	m := append([]byte("cosignature/v1\ntime "+strconv.FormatUint(t, 10)+"\n"), msg...)
	if !ed25519.Verify(c.key, m, sig[8:]) {
		return false
	}
	c.time[c.name] = t
	return true
}

// A cosigner vkey: name+hex(keyid)+base64(0x04 || key), key ID = SHA-256(name || "\n" || 0x04 || key)[:4].
func newCosigner(vkey string) (*cosigner, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, fmt.Errorf("malformed cosigner key %q", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		return nil, fmt.Errorf("not an Ed25519 cosigner key: %q", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n"), raw...))
	id := binary.BigEndian.Uint32(h[:4])
	if fmt.Sprintf("%08x", id) != parts[1] {
		return nil, fmt.Errorf("key ID of %q does not match its key", vkey)
	}
	return &cosigner{name: parts[0], hash: id, key: ed25519.PublicKey(raw[1:]), time: map[string]uint64{}}, nil
}

func main() {
	if len(os.Args) < 2 {
		fmt.Println("error: usage: note-verify <ledger vkey> [<cosigner vkey> ...] < note")
		os.Exit(2)
	}
	ledger, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	verifiers := []note.Verifier{ledger}
	var cosigners []*cosigner
	for _, vk := range os.Args[2:] {
		c, err := newCosigner(vk)
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		cosigners = append(cosigners, c)
		verifiers = append(verifiers, c)
	}
	msg, _ := io.ReadAll(os.Stdin)
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	ledgerOK := false
	for _, s := range n.Sigs {
		if s.Name == ledger.Name() && s.Hash == ledger.KeyHash() {
			ledgerOK = true
			fmt.Println("ok", s.Name)
		}
	}
	for _, c := range cosigners {
		if t, ok := c.time[c.name]; ok {
			fmt.Println("ok", c.name, t)
		}
	}
	if !ledgerOK {
		fmt.Println("error: the ledger's signature is missing")
		os.Exit(1)
	}
	// tlog-checkpoint: origin, decimal size, base64 root hash.
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fmt.Println("error: not a checkpoint")
		os.Exit(1)
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	root, err2 := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || err2 != nil || len(root) != 32 {
		fmt.Println("error: not a checkpoint body")
		os.Exit(1)
	}
	fmt.Printf("origin %s\nsize %d\nroot %x\n", lines[0], size, root)
}
