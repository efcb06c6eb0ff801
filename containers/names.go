package containers

import (
	"math/rand/v2"
	"strconv"
)

// adjectives and surnames make Docker-style names (adjective_surname) for
// containers run without --name: 40×40 = 1600 of them.
var adjectives = []string{
	"agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosy",
	"crisp", "curious", "daring", "eager", "fair", "fancy", "gentle", "glad",
	"happy", "honest", "humble", "jolly", "keen", "kind", "lively", "lucid",
	"merry", "modest", "nimble", "noble", "patient", "plucky", "quiet", "rapid",
	"serene", "sharp", "steady", "sunny", "swift", "tidy", "vivid", "witty",
}

var surnames = []string{
	"agnesi", "babbage", "bardeen", "bohr", "boole", "cantor", "curie", "dijkstra",
	"euler", "faraday", "fermi", "franklin", "gauss", "germain", "goodall", "hamilton",
	"hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "maxwell",
	"meitner", "mirzakhani", "noether", "pascal", "perlman", "ramanujan", "ritchie", "shannon",
	"somerville", "tesla", "thompson", "turing", "volta", "wiles", "wu", "yalow",
}

// generateName returns a name no container in taken has: a random pair,
// or once the pairs seem used up, a pair with a number appended.
func generateName(taken map[string]bool) string {
	pick := func() string {
		return adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))]
	}
	for range 20 {
		if name := pick(); !taken[name] {
			return name
		}
	}
	base := pick()
	for n := 2; ; n++ {
		if name := base + strconv.Itoa(n); !taken[name] {
			return name
		}
	}
}
