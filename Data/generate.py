"""Regenerates the bundled Matrix Market files in Data/ (SciPy; run: python3 Data/generate.py).

poisson2d_32.mtx     2-D 5-point Laplacian, 32x32 interior grid (n = 1024), symmetric storage
convdiff_20.mtx      -Δu + β·∇u, upwinded, β = (40, 20), 20x20 grid (n = 400), nonsymmetric
fem_spd.mtx          P1 finite elements on a jittered Delaunay mesh of the unit square:
                     stiffness + 0.1·mass, interior nodes only (SPD, irregular sparsity)
rhs_poisson2d_32.mtx a right-hand side for poisson2d_32 (array, n = 1024): a smooth bump
"""
import os
import numpy as np
import scipy.io
import scipy.sparse as sp
from scipy.spatial import Delaunay

here = os.path.dirname(os.path.abspath(__file__))


def laplacian1d(n):
    return sp.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])


def poisson2d(n):
    i = sp.identity(n)
    t = laplacian1d(n)
    return (sp.kron(i, t) + sp.kron(t, i)).tocsr()


def convdiff(n, bx, by):
    h = 1.0 / (n + 1)
    bx, by = bx * h, by * h
    rows, cols, vals = [], [], []
    for iy in range(n):
        for ix in range(n):
            k = ix + iy * n
            rows.append(k); cols.append(k); vals.append(4 + abs(bx) + abs(by))
            for dx, dy, v in ((-1, 0, -1 - max(bx, 0)), (1, 0, -1 + min(bx, 0)),
                              (0, -1, -1 - max(by, 0)), (0, 1, -1 + min(by, 0))):
                jx, jy = ix + dx, iy + dy
                if 0 <= jx < n and 0 <= jy < n:
                    rows.append(k); cols.append(jx + jy * n); vals.append(v)
    return sp.csr_matrix((vals, (rows, cols)), shape=(n * n, n * n))


def fem(m, seed=3):
    rng = np.random.default_rng(seed)
    g = np.linspace(0, 1, m)
    x, y = np.meshgrid(g, g)
    p = np.c_[x.ravel(), y.ravel()]
    interior = (p[:, 0] > 0) & (p[:, 0] < 1) & (p[:, 1] > 0) & (p[:, 1] < 1)
    p[interior] += rng.uniform(-0.3, 0.3, size=(interior.sum(), 2)) / (m - 1)
    tri = Delaunay(p).simplices
    n = len(p)
    K = sp.lil_matrix((n, n))
    for t in tri:
        v = p[t]
        B = np.array([v[1] - v[0], v[2] - v[0]]).T
        area = abs(np.linalg.det(B)) / 2
        G = np.linalg.inv(B).T @ np.array([[-1, 1, 0], [-1, 0, 1]])
        local = area * (G.T @ G) + 0.1 * area / 12 * (np.ones((3, 3)) + np.eye(3))
        for a in range(3):
            for b in range(3):
                K[t[a], t[b]] += local[a, b]
    K = K.tocsr()[interior][:, interior]
    return K


def write(name, matrix, comment, symmetry=None):
    scipy.io.mmwrite(os.path.join(here, name), matrix, comment=comment, symmetry=symmetry, precision=17)


write("poisson2d_32.mtx", poisson2d(32), "2-D 5-point Laplacian on a 32x32 interior grid (Data/generate.py)", "symmetric")
write("convdiff_20.mtx", convdiff(20, 40, 20), "upwind convection-diffusion, beta = (40, 20), 20x20 grid (Data/generate.py)", "general")
write("fem_spd.mtx", fem(26), "P1 FEM stiffness + 0.1 mass, jittered Delaunay mesh, interior nodes (Data/generate.py)", "symmetric")
n = 32
g = (np.arange(1, n + 1)) / (n + 1)
X, Y = np.meshgrid(g, g)
b = (np.exp(-20 * ((X - 0.3) ** 2 + (Y - 0.6) ** 2))).ravel()
write("rhs_poisson2d_32.mtx", b.reshape(-1, 1), "smooth bump right-hand side for poisson2d_32 (Data/generate.py)")

# A short sequence for `solve sequence`: A_t = A + c_t·I with A the 10x10-grid Laplacian (n = 100)
# and c_t from the high-variance distribution of Learning to Relax, -0.15 + 0.6·Beta(0.5, 1.5).
rng = np.random.default_rng(7)
os.makedirs(os.path.join(here, "sequence"), exist_ok=True)
contexts = -0.15 + 0.6 * rng.beta(0.5, 1.5, size=8)
base = poisson2d(10)
for t, c in enumerate(contexts):
    write(f"sequence/shifted_{t:02d}.mtx", (base + c * sp.identity(100)).tocsr(),
          f"10x10 Laplacian + c I, c = {c:.17g} (Data/generate.py)", "symmetric")
with open(os.path.join(here, "sequence", "contexts.txt"), "w") as f:
    f.write("".join(f"{c:.17g}\n" for c in contexts))
