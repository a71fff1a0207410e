package privacyprocessor

import (
	"regexp/syntax"
)

// A pattern's shape prefilter: how many digits and dots every match holds at least, read from
// its syntax tree. Counting them in a text costs one pass; a pattern that needs ten digits
// (a card number) or three dots (an IPv4 address) is never run on text that has fewer.

type shape struct {
	digits, dots int
}

func shapeOf(regex string) shape {
	tree, err := syntax.Parse(regex, syntax.Perl)
	if err != nil {
		return shape{}
	}
	return shape{
		digits: minCount(tree, func(lo, hi rune) bool { return lo >= '0' && hi <= '9' }),
		dots:   minCount(tree, func(lo, hi rune) bool { return lo == '.' && hi == '.' }),
	}
}

// minCount is the fewest characters of the class (ranges for which inClass holds) in any match.
func minCount(re *syntax.Regexp, inClass func(lo, hi rune) bool) int {
	switch re.Op {
	case syntax.OpLiteral:
		count := 0
		for _, r := range re.Rune {
			if inClass(r, r) {
				count++
			}
		}
		return count
	case syntax.OpCharClass:
		if len(re.Rune) == 0 {
			return 0
		}
		for i := 0; i < len(re.Rune); i += 2 {
			if !inClass(re.Rune[i], re.Rune[i+1]) {
				return 0
			}
		}
		return 1
	case syntax.OpCapture, syntax.OpPlus:
		return minCount(re.Sub[0], inClass)
	case syntax.OpRepeat:
		return re.Min * minCount(re.Sub[0], inClass)
	case syntax.OpConcat:
		total := 0
		for _, sub := range re.Sub {
			total += minCount(sub, inClass)
		}
		return total
	case syntax.OpAlternate:
		least := -1
		for _, sub := range re.Sub {
			if count := minCount(sub, inClass); least < 0 || count < least {
				least = count
			}
		}
		return max(least, 0)
	default:
		return 0
	}
}

// textShape counts the digits and dots of text.
func textShape(text []byte) shape {
	var counted shape
	for _, c := range text {
		switch {
		case c >= '0' && c <= '9':
			counted.digits++
		case c == '.':
			counted.dots++
		}
	}
	return counted
}

func (s shape) holds(needed shape) bool {
	return s.digits >= needed.digits && s.dots >= needed.dots
}
