// The instantiations of the vector widths by their short names: float lanes V*, double lanes D* (IVec{TV, T}).
global using V512 = ClassLoss.Numerics.V512<float>;
global using V256 = ClassLoss.Numerics.V256<float>;
global using V128 = ClassLoss.Numerics.V128<float>;
global using VScalar = ClassLoss.Numerics.VScalar<float>;
global using D512 = ClassLoss.Numerics.V512<double>;
global using D256 = ClassLoss.Numerics.V256<double>;
global using D128 = ClassLoss.Numerics.V128<double>;
global using DScalar = ClassLoss.Numerics.VScalar<double>;
