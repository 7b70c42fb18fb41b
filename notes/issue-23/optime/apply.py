import sys
import os
p=os.path.join(os.path.dirname(__file__), '../../../third_party/compute/internal/gobackend/executable.go')
s=open(p).read()
old="""		if err := fe.executeNode(backend, node, execBuf, spec); err != nil {
			return err
		}
	}
	return nil
}"""
new="""		t0 := time.Now()
		if err := fe.executeNode(backend, node, execBuf, spec); err != nil {
			return err
		}
		name := node.OpType.String()
		if node.OpType == compute.OpTypeConvGeneral || node.OpType == compute.OpTypeTranspose || node.OpType == compute.OpTypeDotGeneral || node.OpType == compute.OpTypeWhere { name += node.Shape.String() + "<-" + node.Inputs[0].Shape.String() } else if node.Shape.Size() >= 32768 { name += "/big" } else { name += "/small" }
		recordOpTime(name, time.Since(t0))
	}
	opTimeExecDone(len(fe.Schedule))
	return nil
}"""
assert s.count(old)==1
s=s.replace(old,new).replace('import (\n\t"sync"','import (\n\t"time"\n\t"sync"',1)
open(p,'w').write(s)
