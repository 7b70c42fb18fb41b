package weights

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/nlpodyssey/gopickle/pickle"
	"github.com/nlpodyssey/gopickle/types"
)

// The pickle side of reading checkpoints: which Python names a state dict may use and what they
// become in Go, and a scan of the pickle's opcodes before gopickle runs it.

// UnsafeClassError is returned when a pickle names a Python class or function that a state dict
// does not need. Nothing is called: the name alone stops the reading.
type UnsafeClassError struct {
	Module, Name string
}

func (e *UnsafeClassError) Error() string {
	return fmt.Sprintf("its pickle references %s.%s, which a state dict never needs: refusing it (the file may be "+
		"malicious, or hold a whole pickled model rather than a state dict; only tensors in an OrderedDict are read)",
		shown(e.Module), shown(e.Name))
}

// storageClass is what torch.FloatStorage & co. resolve to: a marker of the element type.
type storageClass struct{ dt dtype }

// storageRef is a storage named by a persistent id; its bytes are read later, only if needed.
type storageRef struct {
	dt    dtype
	key   string
	numel int // elements in the root storage
	// A legacy storage view (torch < 0.4) covers [viewOffset, viewOffset+viewSize) of the root.
	viewOffset, viewSize int
}

// tensorRef is a tensor rebuilt by the pickle: a strided view of a storage.
type tensorRef struct {
	storage      *storageRef
	offset       int
	size, stride []int
}

// rebuildTensor implements torch._utils._rebuild_tensor_v2(storage, storage_offset, size,
// stride, requires_grad, backward_hooks[, metadata]) and, with v1, the older
// _rebuild_tensor(storage, storage_offset, size, stride).
type rebuildTensor struct{ v1 bool }

func (r rebuildTensor) Call(args ...any) (any, error) {
	if (r.v1 && len(args) != 4) || (!r.v1 && len(args) != 6 && len(args) != 7) {
		return nil, fmt.Errorf("tensor rebuild with %d arguments", len(args))
	}
	st, ok := args[0].(*storageRef)
	if !ok {
		return nil, fmt.Errorf("tensor rebuild: storage is %T, not a storage", args[0])
	}
	offset, ok := toInt(args[1])
	if !ok || offset < 0 {
		return nil, fmt.Errorf("tensor rebuild: bad storage offset (%s)", describe(args[1]))
	}
	size, err := intTuple(args[2])
	if err != nil {
		return nil, fmt.Errorf("tensor rebuild: size: %w", err)
	}
	stride, err := intTuple(args[3])
	if err != nil {
		return nil, fmt.Errorf("tensor rebuild: stride: %w", err)
	}
	if len(size) != len(stride) || len(size) > maxDims {
		return nil, fmt.Errorf("tensor rebuild: size of %d dimensions and stride of %d (estil reads tensors of up to %d)", len(size), len(stride), maxDims)
	}
	return &tensorRef{storage: st, offset: offset, size: size, stride: stride}, nil
}

// rebuildParameter implements torch._utils._rebuild_parameter(data, requires_grad,
// backward_hooks): a Parameter is its data here.
type rebuildParameter struct{}

func (rebuildParameter) Call(args ...any) (any, error) {
	if len(args) < 1 {
		return nil, fmt.Errorf("parameter rebuild without arguments")
	}
	if _, ok := args[0].(*tensorRef); !ok {
		return nil, fmt.Errorf("parameter rebuild: data is %T, not a tensor", args[0])
	}
	return args[0], nil
}

// findClass is the allow-list: every GLOBAL and STACK_GLOBAL name reaches it, except the few
// gopickle resolves itself to inert Go values (collections.OrderedDict in protocol 4's
// STACK_GLOBAL form, copy_reg._reconstructor, __builtin__.object).
func findClass(module, name string) (any, error) {
	switch module {
	case "estil.compat":
		if name == "OrderedDict" {
			return orderedDictClass{}, nil
		}
	case "torch._utils":
		switch name {
		case "_rebuild_tensor_v2":
			return rebuildTensor{}, nil
		case "_rebuild_tensor":
			return rebuildTensor{v1: true}, nil
		case "_rebuild_parameter":
			return rebuildParameter{}, nil
		}
	case "torch":
		for dt, info := range dtypeInfo {
			if name == info.storage {
				return &storageClass{dtype(dt)}, nil
			}
		}
	}
	return nil, &UnsafeClassError{Module: module, Name: name}
}

// orderedDictClass builds an OrderedDict from what Python 2 pickles, a REDUCE with a list of
// [key, value] pairs, or from no arguments (Python 3, whose items follow as SETITEMS).
type orderedDictClass struct{}

func (orderedDictClass) Call(args ...any) (any, error) {
	od := types.NewOrderedDict()
	if len(args) == 0 {
		return od, nil
	}
	items, err := anySlice(args[0])
	if len(args) != 1 || err != nil {
		return nil, fmt.Errorf("OrderedDict with %d arguments, the first a %T", len(args), args[0])
	}
	for i, it := range items {
		pair, err := anySlice(it)
		if err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("OrderedDict item %d is not a pair", i)
		}
		od.Set(pair[0], pair[1])
	}
	return od, nil
}

func anySlice(v any) ([]any, error) {
	switch t := v.(type) {
	case *types.Tuple:
		return *t, nil
	case *types.List:
		return *t, nil
	}
	return nil, fmt.Errorf("%T is not a tuple", v)
}

// unpickle reads one pickle from br (at most limit bytes, and never past its STOP, so that what
// follows it in br stays there) and unpickles it with gopickle, resolving only findClass's names.
// The pickle is first checked by scanPickle, so that gopickle never sees a length or line larger
// than the data, and rewritten where Python 2 needs it.
func unpickle(br *bufio.Reader, limit int, persistentLoad func(any) (any, error)) (v any, err error) {
	raw, err := scanPickle(br, min(limit, maxPickleSize))
	if err != nil {
		return nil, corruptf("bad pickle: %v", err)
	}
	u := pickle.NewUnpickler(bytes.NewReader(raw))
	u.FindClass = findClass
	u.PersistentLoad = persistentLoad
	if persistentLoad == nil {
		u.PersistentLoad = func(any) (any, error) { return nil, fmt.Errorf("unexpected persistent id") }
	}
	defer func() {
		// gopickle panics on some malformed pickles (e.g. SETITEMS with an odd item count).
		if p := recover(); p != nil {
			v, err = nil, corruptf("bad pickle (gopickle: %s)", brief(fmt.Errorf("%v", p)))
		}
	}()
	v, err = u.Load()
	if err != nil {
		return nil, pickleError(err)
	}
	return v, nil
}

// pickleError classifies an unpickling error: refusals stay refusals, the rest means damage.
func pickleError(err error) error {
	var unsafe *UnsafeClassError
	if errors.As(err, &unsafe) {
		return unsafe
	}
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return corruptf("bad pickle: %s", brief(err))
}

// maxPickleSize bounds a state dict's pickle (VGG19's is a few kB).
const maxPickleSize = 64 << 20

// maxPickleObjects bounds a pickle's opcodes, and so the objects and MARKs gopickle allocates for
// them (issue 10, finding 2: a 65 KB flood of MARKs had reached 3.3 GB). torchvision's VGG19
// state dict has about 1,300 (the 32-tensor fixture 1,098).
const maxPickleObjects = 1 << 16

// maxDims bounds a tensor's dimensions (a state dict's have up to 4), and so the length of a
// shape in an error message.
const maxDims = 8

// maxLongBytes bounds the integers of a pickle written in binary (LONG1, LONG4): gopickle
// converts them with one big-number shift per byte, which is quadratic (a 1 MB LONG4 took 40 s,
// a 16 MB one hours; issue 18, finding 3). A state dict needs nothing wider than int64, except the
// legacy format's magic number, 0x1950a86a20f9469cfc6c, 10 bytes.
const maxLongBytes = 10

// maxNumberText bounds a number written as text (INT, LONG, FLOAT of protocols 0 and 1), its
// newline included: an int64 takes at most 21 bytes, a float64's repr 25.
const maxNumberText = 32

// numberText names the opcodes whose argument is a number as text.
var numberText = map[byte]string{'I': "INT", 'L': "LONG", 'F': "FLOAT"}

// longName names the opcodes whose argument is an integer in binary.
var longName = map[byte]string{0x8a: "LONG1", 0x8b: "LONG4"}

// validNumberText says whether the argument of INT, LONG or FLOAT (newline included) is a
// number that gopickle converts without error, and a LONG one that fits in an int64 (gopickle
// would make a big.Int of it, with SetString, quadratic).
func validNumberText(op byte, text []byte) bool {
	s := strings.TrimSuffix(string(text), "\n")
	var err error
	switch op {
	case 'I':
		if s == "00" || s == "01" { // False, True
			return true
		}
		_, err = strconv.ParseInt(s, 10, 64)
	case 'L':
		_, err = strconv.ParseInt(strings.TrimSuffix(s, "L"), 10, 64)
	case 'F':
		_, err = strconv.ParseFloat(s, 64)
	}
	return err == nil
}

// gopickle resolves GLOBAL collections.OrderedDict itself, to a class that takes no arguments,
// which fails on Python 2 pickles (whose OrderedDict reduce passes the items; the 2017 Caffe
// VGG19 may be one). scanPickle rewrites that opcode into GLOBAL estil.compat.OrderedDict, which
// findClass resolves to orderedDictClass.
const (
	py2OrderedDict    = "collections\nOrderedDict\n"
	compatOrderedDict = "estil.compat\nOrderedDict\n"
)

// Argument layouts of pickle opcodes (Python's pickletools), for scanPickle.
const (
	argNone   = iota
	argFixed  // n bytes
	argLen1   // uint8 length, then data
	argLen4   // uint32 length, then data
	argLen8   // uint64 length, then data
	argLines  // n newline-terminated lines
	argSigned // int32 length, then data (must be ≥ 0)
)

var pickleOps = func() [256]struct{ kind, n int } {
	var t [256]struct{ kind, n int }
	for i := range t {
		t[i].kind = -1 // unknown opcode
	}
	for _, op := range "(.012NRbd}el]ost)uaQ" {
		t[op] = struct{ kind, n int }{argNone, 0}
	}
	for _, op := range []byte{0x81, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8f, 0x90, 0x91, 0x92, 0x93, 0x94, 0x97, 0x98} {
		t[op] = struct{ kind, n int }{argNone, 0}
	}
	for op, n := range map[byte]int{0x80: 1, 'K': 1, 'h': 1, 'q': 1, 0x82: 1, 'M': 2, 0x83: 2, 'J': 4, 'j': 4, 'r': 4, 0x84: 4, 'G': 8, 0x95: 8} {
		t[op] = struct{ kind, n int }{argFixed, n}
	}
	for _, op := range "ILFSVgpP" {
		t[op] = struct{ kind, n int }{argLines, 1}
	}
	t['c'] = struct{ kind, n int }{argLines, 2}
	t['i'] = struct{ kind, n int }{argLines, 2}
	for _, op := range []byte{'U', 'C', 0x8c, 0x8a} {
		t[op] = struct{ kind, n int }{argLen1, 0}
	}
	for _, op := range []byte{'B', 'X'} {
		t[op] = struct{ kind, n int }{argLen4, 0}
	}
	for _, op := range []byte{'T', 0x8b} {
		t[op] = struct{ kind, n int }{argSigned, 0}
	}
	for _, op := range []byte{0x8e, 0x8d, 0x96} {
		t[op] = struct{ kind, n int }{argLen8, 0}
	}
	return t
}()

// scanPickle reads one pickle from r, opcode by opcode up to STOP, and returns its bytes. Every
// argument must fit in what is left of limit, so a damaged length fails here rather than
// making gopickle allocate gigabytes. GLOBAL collections.OrderedDict is rewritten (see above).
func scanPickle(r *bufio.Reader, limit int) ([]byte, error) {
	var out []byte
	used, framed := 0, false
	objects := 0 // opcodes that push a new object onto gopickle's stacks (a MARK costs 16 slots)
	take := func(n int) ([]byte, error) {
		if n < 0 || n > limit-used {
			return nil, fmt.Errorf("an argument of %d bytes at byte %d runs past the end", n, used)
		}
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, eofIsUnexpected(err)
		}
		used += n
		return b, nil
	}
	// line reads a newline-terminated argument of at most max bytes (what names it in errors).
	line := func(max int, what string) ([]byte, error) {
		var l []byte
		for {
			if used >= limit {
				return nil, fmt.Errorf("unterminated line at byte %d", used)
			}
			if len(l) >= max {
				return nil, fmt.Errorf("%s argument of over %d bytes at byte %d", what, max, used)
			}
			c, err := r.ReadByte()
			if err != nil {
				return nil, eofIsUnexpected(err)
			}
			used++
			l = append(l, c)
			if c == '\n' {
				return l, nil
			}
		}
	}
	for {
		opb, err := take(1)
		if err != nil {
			return nil, err
		}
		op := opb[0]
		spec := pickleOps[op]
		out = append(out, op)
		if spec.kind != -1 && op != '.' {
			if objects++; objects > maxPickleObjects {
				return nil, fmt.Errorf("over %d opcodes (a state dict of VGG19 has a few thousand)", maxPickleObjects)
			}
		}
		switch spec.kind {
		case argNone:
			if op == '.' {
				return out, nil
			}
		case argFixed:
			b, err := take(spec.n)
			if err != nil {
				return nil, err
			}
			out = append(out, b...)
			if op == 0x95 {
				// gopickle allocates the whole frame up front: a frame must fit in what is left.
				if n := binary.LittleEndian.Uint64(b); n > uint64(limit-used) {
					return nil, fmt.Errorf("a frame of %d bytes at byte %d runs past the end", n, used)
				}
				framed = true
			}
		case argLines:
			var text []byte
			name, isNumber := numberText[op]
			max := limit
			if isNumber {
				max = maxNumberText
			} else {
				name = "text" // bounded by limit: "unterminated line" comes first
			}
			for range spec.n {
				l, err := line(max, name)
				if err != nil {
					return nil, err
				}
				text = append(text, l...)
			}
			// Numbers as text are checked here, so that gopickle never converts one wider than
			// 64 bits, nor quotes a malformed one in its error.
			if isNumber && !validNumberText(op, text) {
				return nil, fmt.Errorf("malformed %s argument, or one wider than 64 bits, at byte %d", name, used-len(text))
			}
			if op == 'c' && !framed && string(text) == py2OrderedDict { // (a rewrite would break a frame's length)
				text = []byte(compatOrderedDict)
			}
			out = append(out, text...)
		case argLen1, argLen4, argLen8, argSigned:
			width := 4
			switch spec.kind {
			case argLen1:
				width = 1
			case argLen8:
				width = 8
			}
			lb, err := take(width)
			if err != nil {
				return nil, err
			}
			var n uint64
			for i := width - 1; i >= 0; i-- {
				n = n<<8 | uint64(lb[i])
			}
			if spec.kind == argSigned && n >= 1<<31 {
				return nil, fmt.Errorf("negative length at byte %d", used)
			}
			if name, isLong := longName[op]; isLong && n > maxLongBytes {
				return nil, fmt.Errorf("a %s integer of %d bytes at byte %d (estil reads integers of up to %d bytes)", name, n, used, maxLongBytes)
			}
			if n > uint64(limit) {
				return nil, fmt.Errorf("an argument of %d bytes at byte %d runs past the end", n, used)
			}
			b, err := take(int(n))
			if err != nil {
				return nil, err
			}
			out = append(append(out, lb...), b...)
		default:
			return nil, fmt.Errorf("unknown opcode 0x%02x at byte %d", op, used-1)
		}
	}
}

// storageFromPID decodes a persistent id ('storage', class, key, location, numel[, view]).
// Storages are shared by key.
func storageFromPID(pid any, storages map[string]*storageRef, legacy bool) (any, error) {
	t, ok := pid.(*types.Tuple)
	if !ok || t.Len() == 0 {
		return nil, fmt.Errorf("persistent id %T is not a tuple", pid)
	}
	if kind, _ := t.Get(0).(string); kind != "storage" {
		return nil, fmt.Errorf("persistent id of kind %s, want storage (a pickled module rather than a state dict?)", describe(t.Get(0)))
	}
	if t.Len() < 5 {
		return nil, fmt.Errorf("storage persistent id with %d fields", t.Len())
	}
	class, ok1 := t.Get(1).(*storageClass)
	key, ok2 := t.Get(2).(string)
	numel, ok3 := toInt(t.Get(4))
	if !ok1 || !ok2 || !ok3 || numel < 0 || numel > maxElements {
		return nil, fmt.Errorf("malformed storage persistent id")
	}
	ref := storages[key]
	if ref == nil {
		ref = &storageRef{dt: class.dt, key: key, numel: numel, viewSize: numel}
		storages[key] = ref
	} else if ref.dt != class.dt || ref.numel != numel {
		return nil, fmt.Errorf("storage %s used with two types or sizes", shown(key))
	}
	if legacy && t.Len() >= 6 && t.Get(5) != nil {
		view, ok := t.Get(5).(*types.Tuple)
		if !ok || view.Len() != 3 {
			return nil, fmt.Errorf("malformed storage view")
		}
		viewKey, ok1 := view.Get(0).(string)
		off, ok2 := toInt(view.Get(1))
		size, ok3 := toInt(view.Get(2))
		if !ok1 || !ok2 || !ok3 || off < 0 || size < 0 || off > numel || size > numel-off {
			return nil, fmt.Errorf("malformed storage view")
		}
		if v := storages["view:"+viewKey]; v != nil {
			return v, nil
		}
		v := &storageRef{dt: ref.dt, key: key, numel: numel, viewOffset: off, viewSize: size}
		storages["view:"+viewKey] = v
		return v, nil
	}
	return ref, nil
}

// toInt accepts the integer kinds gopickle produces.
func toInt(v any) (int, bool) {
	switch x := v.(type) {
	case int:
		return x, true
	case *big.Int:
		if x.IsInt64() && x.Int64() <= math.MaxInt && x.Int64() >= math.MinInt {
			return int(x.Int64()), true
		}
	}
	return 0, false
}

// describe names a value read from a pickle for an error message: an int64 or a short plain
// string as it is, anything else by its kind and size, never whole.
func describe(v any) string {
	switch x := v.(type) {
	case int:
		return strconv.Itoa(x)
	case string:
		return shown(x)
	case *big.Int:
		return fmt.Sprintf("an integer of %d bits", x.BitLen())
	}
	return fmt.Sprintf("a %T", v)
}

func intTuple(v any) ([]int, error) {
	items, err := anySlice(v)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(items))
	for i, it := range items {
		n, ok := toInt(it)
		if !ok {
			return nil, fmt.Errorf("element %d is %s, not an int", i, describe(it))
		}
		out[i] = n
	}
	return out, nil
}
