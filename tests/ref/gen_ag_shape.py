"""gen_ag_shape.py: a chain of data-movement and broadcasting ops through torch
autograd, for tests/autograd/test_ag_shape.c.

x [2,3,4,5] -> permute(0,2,3,1) [2,4,5,3] -> roll((1,-2), dims (1,2)) -> pad axis 1 by (1,2)
-> [2,7,5,3] -> narrow(2, 1, 3) [2,7,3,3] -> cat with y [2,7,3,4] on axis 3 -> [2,7,3,7]
-> + b [7] (broadcast) -> * g [2,1,1,1] -> mean over (1,2) keepdim -> [2,1,1,7] -> * 0.75
-> reshape [14] ; z = that + (x.mean over 1,2,3) repeated? no: out = r (x is also added
directly: u = x.reshape(2,60).mean(1)) so x is used twice.
"""
import torch

from refio import write_ref

torch.manual_seed(7)
x = torch.randn(2, 3, 4, 5, requires_grad=True)
y = torch.randn(2, 7, 3, 4, requires_grad=True)
b = torch.randn(7, requires_grad=True)
g = torch.randn(2, 1, 1, 1, requires_grad=True)
p = x.permute(0, 2, 3, 1)
r = torch.roll(p, shifts=(1, -2), dims=(1, 2))
pd = torch.nn.functional.pad(r, (0, 0, 0, 0, 1, 2))
s = pd.narrow(2, 1, 3)
c = torch.cat([s, y], dim=3)
a = (c + b) * g
m = a.mean(dim=(1, 2), keepdim=True) * 0.75
out = m.reshape(14)
u = x.reshape(2, 60).mean(1)
dout = torch.randn(14)
du = torch.randn(2)
((out * dout).sum() + (u * du).sum()).backward()
write_ref("ag_shape", {"x": x, "y": y, "b": b, "g": g, "out": out, "u": u, "dout": dout, "du": du,
                       "grad.x": x.grad, "grad.y": y.grad, "grad.b": b.grad, "grad.g": g.grad})
