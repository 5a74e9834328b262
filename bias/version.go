package bias

// Version is the version of this package's results. Steps that use the
// package put it in their cache key (through their spec's version): bump
// it when the numbers it produces change.
const Version = "1"
