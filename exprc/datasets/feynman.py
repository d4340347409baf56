"""The 120 Feynman problems of the SRSD benchmark (Matsubara et al., 2022), written for exprc.
Why: tests compile every formula, and the symbolic-regression benchmark samples data from them."""
# Constants: like SRSD, physical constants are fixed numbers written as SRSD's own literals
# (c = 2.99792458e8, epsilon_0 = 8.854e-12, h = 6.626e-34 with hbar written h/(2*pi), k_B = 1.380649e-23,
# G = 6.6743e-11, g = 9.80665, mu_B = 9.2740100783e-24, hbar = 1.054571817e-34 (B1 only), m_e = 9.10938356e-31,
# alpha_fs = 7.2973525693e-3); only SRSD's sampled quantities are variables.
#
# Source: omron-sinicx/srsd-benchmark, datasets/feynman.py (formulas, sampling, column order; latest stored
# version) with datasets/sampling.py, and configs/datasets/feynman/{easy,medium,hard}_set.yaml (difficulty).
# Target names follow AI Feynman's FeynmanEquations.csv / BonusEquations.csv "Output" column unless SRSD
# rewrote the equation. Problem names are SRSD's (e.g. I.15.10, not AI Feynman's I.15.1); B1..B20 are the bonus set.
#
# Sampling, as SRSD does it:
#   log=True                 SRSD "DefaultSampling": 10 ** U(log10(low), log10(high)).
#   log=True, negate_half    the same magnitude, then a sign that is negative with probability 1/2.
#   log=True, low < high < 0 (III.21.20 only) SRSD's negative-only draw: -(10 ** U(log10(-high), log10(-low))).
#   log=False                SRSD "SimpleSampling": U(low, high).
#   Integer variables (noted on their entries) are drawn by SRSD as numpy randint(low, high), i.e. integers in
#   [low, high - 1]; Variable has no integer flag, so they are recorded here as U(low, high).
# SRSD redraws samples whose output is NaN, infinite or outside float32; a few formulas (noted) are undefined on
# part of their box.
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    low: float
    high: float
    log: bool = False          # True: log-uniform between low and high
    negate_half: bool = False  # True where SRSD samples both signs (draws the magnitude, then a random sign)


@dataclass(frozen=True)
class FeynmanProblem:
    name: str        # e.g. "I.6.20a", "B1" ... as SRSD/AI Feynman name them
    difficulty: str  # "easy" | "medium" | "hard"
    target: str      # output variable name, e.g. "f"
    formula: str     # exprc infix text
    variables: tuple[Variable, ...]


_PI = 3.141592653589793
_HALF_PI = _PI / 2
_TWO_PI = 2 * _PI

FEYNMAN: tuple[FeynmanProblem, ...] = (
    FeynmanProblem("I.6.20", "hard", "f", "exp(-(theta/sigma)**2/2)/(sqrt(2*pi)*sigma)", (
        Variable("theta", 0.1, 10.0, log=True, negate_half=True),
        Variable("sigma", 0.1, 10.0, log=True),
    )),
    FeynmanProblem("I.6.20a", "hard", "f", "exp(-theta**2/2)/sqrt(2*pi)", (Variable("theta", 0.1, 10.0, log=True, negate_half=True),)),
    # SRSD's sympy ground truth drops the 1/sigma factor; its data generator (eq_func) keeps it, as here.
    FeynmanProblem("I.6.20b", "hard", "f", "exp(-((theta-theta1)/sigma)**2/2)/(sqrt(2*pi)*sigma)", (
        Variable("theta", 0.1, 10.0, log=True, negate_half=True),
        Variable("theta1", 0.1, 10.0, log=True, negate_half=True),
        Variable("sigma", 0.1, 10.0, log=True),
    )),
    FeynmanProblem("I.8.14", "medium", "d", "sqrt((x2-x1)**2+(y2-y1)**2)", (
        Variable("x2", 0.1, 10.0, log=True, negate_half=True),
        Variable("x1", 0.1, 10.0, log=True, negate_half=True),
        Variable("y2", 0.1, 10.0, log=True, negate_half=True),
        Variable("y1", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.9.18", "hard", "F", "6.6743e-11*m1*m2/((x2-x1)**2+(y2-y1)**2+(z2-z1)**2)", (
        Variable("m1", 1.0, 1000.0, log=True),
        Variable("m2", 1.0, 1000.0, log=True),
        Variable("x2", 1.0, 10.0, log=True, negate_half=True),
        Variable("x1", 1.0, 10.0, log=True, negate_half=True),
        Variable("y2", 1.0, 10.0, log=True, negate_half=True),
        Variable("y1", 1.0, 10.0, log=True, negate_half=True),
        Variable("z2", 1.0, 10.0, log=True, negate_half=True),
        Variable("z1", 1.0, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.10.7", "medium", "m", "m_0/sqrt(1-v**2/2.99792458e8**2)", (
        Variable("m_0", 0.1, 10.0, log=True),
        Variable("v", 1.0e5, 1.0e8, log=True),
    )),
    FeynmanProblem("I.11.19", "medium", "A", "x1*y1+x2*y2+x3*y3", (
        Variable("x1", 0.1, 10.0, log=True, negate_half=True),
        Variable("y1", 0.1, 10.0, log=True, negate_half=True),
        Variable("x2", 0.1, 10.0, log=True, negate_half=True),
        Variable("y2", 0.1, 10.0, log=True, negate_half=True),
        Variable("x3", 0.1, 10.0, log=True, negate_half=True),
        Variable("y3", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.12.1", "easy", "F", "mu*Nn", (
        Variable("mu", 0.01, 1.0, log=True),
        Variable("Nn", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("I.12.2", "medium", "F", "q1*q2*r/(4*pi*8.854e-12*r**3)", (
        Variable("q1", 0.1, 10.0, log=True, negate_half=True),
        Variable("q2", 0.1, 10.0, log=True, negate_half=True),
        Variable("r", 0.1, 10.0, log=True),
    )),
    FeynmanProblem("I.12.4", "easy", "Ef", "q1*r/(4*pi*8.854e-12*r**3)", (
        Variable("q1", 0.1, 10.0, log=True, negate_half=True),
        Variable("r", 0.1, 10.0, log=True),
    )),
    FeynmanProblem("I.12.5", "easy", "F", "q2*Ef", (
        Variable("q2", 0.1, 10.0, log=True, negate_half=True),
        Variable("Ef", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.12.11", "medium", "F", "q*(Ef+B*v*sin(theta))", (
        Variable("q", 0.1, 10.0, log=True, negate_half=True),
        Variable("Ef", 0.1, 10.0, log=True),
        Variable("B", 0.1, 10.0, log=True),
        Variable("v", 0.1, 10.0, log=True),
        Variable("theta", 0.0, _HALF_PI),
    )),
    FeynmanProblem("I.13.4", "medium", "K", "1/2*m*(v**2+u**2+w**2)", (
        Variable("m", 0.1, 10.0, log=True),
        Variable("v", 0.1, 10.0, log=True, negate_half=True),
        Variable("u", 0.1, 10.0, log=True, negate_half=True),
        Variable("w", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.13.12", "medium", "U", "6.6743e-11*m1*m2*(1/r2-1/r1)", (
        Variable("m1", 0.01, 1.0, log=True),
        Variable("m2", 0.01, 1.0, log=True),
        Variable("r2", 0.01, 1.0, log=True),
        Variable("r1", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("I.14.3", "easy", "U", "9.80665*m*z", (
        Variable("m", 0.01, 1.0, log=True),
        Variable("z", 0.01, 1.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.14.4", "easy", "U", "1/2*k_spring*x**2", (
        Variable("k_spring", 100.0, 1.0e4, log=True),
        Variable("x", 0.01, 1.0, log=True, negate_half=True),
    )),
    # AI Feynman file name I.15.1.
    FeynmanProblem("I.15.10", "medium", "p", "m_0*v/sqrt(1-v**2/2.99792458e8**2)", (
        Variable("m_0", 0.01, 1.0, log=True),
        Variable("v", 1.0e5, 1.0e7, log=True, negate_half=True),
    )),
    FeynmanProblem("I.15.3t", "hard", "t1", "(t-u*x/2.99792458e8**2)/sqrt(1-u**2/2.99792458e8**2)", (
        Variable("t", 1.0e-6, 1.0e-4, log=True),
        Variable("u", 1.0e5, 1.0e7, log=True, negate_half=True),
        Variable("x", 1.0, 100.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.15.3x", "hard", "x1", "(x-u*t)/sqrt(1-u**2/2.99792458e8**2)", (
        Variable("x", 1.0, 100.0, log=True, negate_half=True),
        Variable("u", 1.0e6, 1.0e8, log=True, negate_half=True),
        Variable("t", 1.0e-6, 1.0e-4, log=True),
    )),
    FeynmanProblem("I.16.6", "medium", "v1", "(u+v)/(1+u*v/2.99792458e8**2)", (
        Variable("u", 1.0e6, 1.0e8, log=True, negate_half=True),
        Variable("v", 1.0e6, 1.0e8, log=True, negate_half=True),
    )),
    FeynmanProblem("I.18.4", "medium", "r", "(m1*r1+m2*r2)/(m1+m2)", (
        Variable("m1", 0.1, 10.0, log=True),
        Variable("r1", 0.1, 10.0, log=True, negate_half=True),
        Variable("m2", 0.1, 10.0, log=True),
        Variable("r2", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.18.12", "easy", "tau", "r*F*sin(theta)", (
        Variable("r", 0.1, 10.0, log=True),
        Variable("F", 0.1, 10.0, log=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    # AI Feynman file name I.18.14.
    FeynmanProblem("I.18.16", "easy", "L", "m*r*v*sin(theta)", (
        Variable("m", 0.1, 10.0, log=True),
        Variable("r", 0.1, 10.0, log=True),
        Variable("v", 0.1, 10.0, log=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    FeynmanProblem("I.24.6", "medium", "E_n", "1/2*m*(omega**2+omega_0**2)*1/2*x**2", (
        Variable("m", 0.1, 10.0, log=True),
        Variable("omega", 0.1, 10.0, log=True, negate_half=True),
        Variable("omega_0", 0.1, 10.0, log=True, negate_half=True),
        Variable("x", 0.1, 10.0, log=True, negate_half=True),
    )),
    FeynmanProblem("I.25.13", "easy", "Volt", "q/C", (
        Variable("q", 1.0e-5, 0.001, log=True, negate_half=True),
        Variable("C", 1.0e-5, 0.001, log=True),
    )),
    # SRSD solves Snell's law for n (AI Feynman: theta1 = asin(n*sin(theta2))).
    FeynmanProblem("I.26.2", "easy", "n", "sin(theta1)/sin(theta2)", (
        Variable("theta1", 0.0, _HALF_PI),
        Variable("theta2", 0.0, _HALF_PI),
    )),
    FeynmanProblem("I.27.6", "easy", "foc", "1/(1/d1+n/d2)", (
        Variable("d1", 0.001, 0.1, log=True),
        Variable("n", 0.1, 10.0, log=True),
        Variable("d2", 0.001, 0.1, log=True),
    )),
    FeynmanProblem("I.29.4", "medium", "k", "omega/2.99792458e8", (Variable("omega", 1.0e9, 1.0e11, log=True),)),
    # SRSD uses +2*x1*x2*cos(...) (AI Feynman: -).
    FeynmanProblem("I.29.16", "hard", "x", "sqrt(x1**2+x2**2+2*x1*x2*cos(theta1-theta2))", (
        Variable("x1", 0.1, 10.0, log=True),
        Variable("x2", 0.1, 10.0, log=True),
        Variable("theta1", 0.0, _TWO_PI),
        Variable("theta2", 0.0, _TWO_PI),
    )),
    # n: SRSD draws integers (numpy randint(10, 1000)).
    FeynmanProblem("I.30.3", "hard", "Int", "Int_0*sin(n*theta/2)**2/sin(theta/2)**2", (
        Variable("Int_0", 10.0, 1000.0, log=True),
        Variable("n", 10.0, 1000.0),
        Variable("theta", -_TWO_PI, _TWO_PI),
    )),
    # SRSD solves for d (AI Feynman: theta = asin(lambd/(n*d))); n: integers, randint(1, 100).
    FeynmanProblem("I.30.5", "easy", "d", "lambd/(n*sin(theta))", (
        Variable("lambd", 1.0e-11, 1.0e-9, log=True),
        Variable("n", 1.0, 100.0),
        Variable("theta", 0.0, _HALF_PI),
    )),
    FeynmanProblem("I.32.5", "medium", "Pwr", "q**2*a**2/(6*pi*8.854e-12*2.99792458e8**3)", (
        Variable("q", 0.001, 0.1, log=True, negate_half=True),
        Variable("a", 1.0e5, 1.0e7, log=True),
    )),
    FeynmanProblem("I.32.17", "hard", "Pwr", "(1/2*8.854e-12*2.99792458e8*Ef**2)*(8*pi*r**2/3)*(omega**4/(omega**2-omega_0**2)**2)", (
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("r", 0.01, 1.0, log=True),
        Variable("omega", 1.0e9, 1.0e11, log=True, negate_half=True),
        Variable("omega_0", 1.0e9, 1.0e11, log=True, negate_half=True),
    )),
    # AI Feynman file name I.34.1.
    FeynmanProblem("I.34.10", "medium", "omega", "omega_0/(1-v/2.99792458e8)", (
        Variable("omega_0", 1.0e9, 1.0e11, log=True),
        Variable("v", 1.0e5, 1.0e7, log=True, negate_half=True),
    )),
    FeynmanProblem("I.34.8", "medium", "omega", "q*v*B/p", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("v", 1.0e5, 1.0e7, log=True, negate_half=True),
        Variable("B", 10.0, 1000.0, log=True, negate_half=True),
        Variable("p", 1.0e9, 1.0e11, log=True, negate_half=True),
    )),
    # Formula as SRSD's sympy ground truth; SRSD's eq_func mistakenly divides by omega_0 where c belongs.
    FeynmanProblem("I.34.14", "hard", "omega", "(1+v/2.99792458e8)/sqrt(1-v**2/2.99792458e8**2)*omega_0", (
        Variable("v", 1.0e6, 1.0e8, log=True, negate_half=True),
        Variable("omega_0", 1.0e9, 1.0e11, log=True),
    )),
    FeynmanProblem("I.34.27", "medium", "E_n", "(6.626e-34/(2*pi))*omega", (Variable("omega", 1.0e9, 1.0e11, log=True),)),
    FeynmanProblem("I.37.4", "hard", "Int", "I1+I2+2*sqrt(I1*I2)*cos(delta)", (
        Variable("I1", 0.001, 0.1, log=True),
        Variable("I2", 0.001, 0.1, log=True),
        Variable("delta", 0.0, _TWO_PI),
    )),
    FeynmanProblem("I.38.12", "medium", "r", "4*pi*8.854e-12*(6.626e-34/(2*pi))**2/(m*q**2)", (
        Variable("m", 1.0e-28, 1.0e-26, log=True),
        Variable("q", 1.0e-11, 1.0e-9, log=True),
    )),
    # AI Feynman file name I.39.1.
    FeynmanProblem("I.39.10", "medium", "E_n", "3/2*pr*V", (
        Variable("pr", 1.0e4, 1.0e6, log=True),
        Variable("V", 1.0e-5, 0.001, log=True),
    )),
    FeynmanProblem("I.39.11", "medium", "E_n", "1/(gamma-1)*pr*V", (
        Variable("gamma", 1.0, 2.0),
        Variable("pr", 1.0e4, 1.0e6, log=True),
        Variable("V", 1.0e-5, 0.001, log=True),
    )),
    FeynmanProblem("I.39.22", "hard", "pr", "n*1.380649e-23*T/V", (
        Variable("n", 1.0e23, 1.0e25, log=True),
        Variable("T", 10.0, 1000.0, log=True),
        Variable("V", 1.0e-5, 0.001, log=True),
    )),
    FeynmanProblem("I.40.1", "hard", "n", "n_0*exp(-m*9.80665*x/(1.380649e-23*T))", (
        Variable("n_0", 1.0e25, 1.0e27, log=True),
        Variable("m", 1.0e-24, 1.0e-22, log=True),
        Variable("x", 0.01, 1.0, log=True, negate_half=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("I.41.16", "hard", "L_rad", "(6.626e-34/(2*pi))*omega**3/(pi**2*2.99792458e8**2*(exp((6.626e-34/(2*pi))*omega/(1.380649e-23*T))-1))", (
        Variable("omega", 0.1, 10.0, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("I.43.16", "easy", "v", "mu_drift*q*Volt/d", (
        Variable("mu_drift", 1.0e-6, 1.0e-4, log=True, negate_half=True),
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("Volt", 0.1, 10.0, log=True, negate_half=True),
        Variable("d", 0.001, 0.1, log=True),
    )),
    FeynmanProblem("I.43.31", "medium", "D", "mob*1.380649e-23*T", (
        Variable("mob", 1.0e13, 1.0e15, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("I.43.43", "medium", "kappa", "1/(gamma-1)*1.380649e-23*v/A", (
        Variable("gamma", 1.0, 2.0),
        Variable("v", 100.0, 1.0e4, log=True),
        Variable("A", 1.0e-21, 1.0e-19, log=True),
    )),
    FeynmanProblem("I.44.4", "hard", "E_n", "n*1.380649e-23*T*log(V2/V1)", (
        Variable("n", 1.0e25, 1.0e27, log=True),
        Variable("T", 10.0, 1000.0, log=True),
        Variable("V2", 1.0e-5, 0.001, log=True),
        Variable("V1", 1.0e-5, 0.001, log=True),
    )),
    FeynmanProblem("I.47.23", "easy", "c", "sqrt(gamma*pr/rho)", (
        Variable("gamma", 1.0, 2.0),
        Variable("pr", 5.0e-6, 1.5e-5),
        Variable("rho", 1.0, 2.0),
    )),
    FeynmanProblem("I.48.2", "medium", "E_n", "m*2.99792458e8**2/sqrt(1-v**2/2.99792458e8**2)", (
        Variable("m", 1.0e-29, 1.0e-27, log=True),
        Variable("v", 1.0e6, 1.0e8, log=True),
    )),
    FeynmanProblem("I.50.26", "hard", "x", "x1*(cos(omega*t)+alpha*cos(omega*t)**2)", (
        Variable("x1", 0.1, 10.0, log=True),
        Variable("omega", 10.0, 1000.0, log=True, negate_half=True),
        Variable("t", 0.001, 0.1, log=True),
        Variable("alpha", 0.001, 0.1, log=True, negate_half=True),
    )),
    FeynmanProblem("II.2.42", "easy", "Pwr", "kappa*(T2-T1)*A/d", (
        Variable("kappa", 0.1, 10.0, log=True),
        Variable("T2", 10.0, 1000.0, log=True),
        Variable("T1", 10.0, 1000.0, log=True),
        Variable("A", 1.0e-4, 0.01, log=True),
        Variable("d", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("II.3.24", "easy", "flux", "Pwr/(4*pi*r**2)", (
        Variable("Pwr", 1.0, 100.0, log=True, negate_half=True),
        Variable("r", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("II.4.23", "easy", "Volt", "q/(4*pi*8.854e-12*r)", (
        Variable("q", 0.001, 0.1, log=True, negate_half=True),
        Variable("r", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("II.6.11", "medium", "Volt", "1/(4*pi*8.854e-12)*p_d*cos(theta)/r**2", (
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("theta", 0.0, _TWO_PI),
        Variable("r", 1.0e-10, 1.0e-8, log=True),
    )),
    FeynmanProblem("II.6.15a", "hard", "Ef", "p_d/(4*pi*8.854e-12)*3*z/r**5*sqrt(x**2+y**2)", (
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("z", 1.0e-10, 1.0e-8, log=True, negate_half=True),
        Variable("r", 1.0e-10, 1.0e-8, log=True),
        Variable("x", 1.0e-10, 1.0e-8, log=True, negate_half=True),
        Variable("y", 1.0e-10, 1.0e-8, log=True, negate_half=True),
    )),
    FeynmanProblem("II.6.15b", "hard", "Ef", "p_d/(4*pi*8.854e-12)*3*cos(theta)*sin(theta)/r**3", (
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("theta", 0.0, _PI),
        Variable("r", 1.0e-10, 1.0e-8, log=True),
    )),
    FeynmanProblem("II.8.7", "medium", "E_n", "3/5*q**2/(4*pi*8.854e-12*d)", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("d", 1.0e-12, 1.0e-10, log=True),
    )),
    FeynmanProblem("II.8.31", "easy", "E_den", "8.854e-12*Ef**2/2", (Variable("Ef", 10.0, 1000.0, log=True),)),
    FeynmanProblem("II.10.9", "easy", "Ef", "sigma_den/8.854e-12*1/(1+chi)", (
        Variable("sigma_den", 0.001, 0.1, log=True, negate_half=True),
        Variable("chi", 1.0, 100.0, log=True),
    )),
    FeynmanProblem("II.11.3", "medium", "x", "q*Ef/(m*(omega_0**2-omega**2))", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("Ef", 1.0e-9, 1.0e-7, log=True),
        Variable("m", 1.0e-28, 1.0e-26, log=True),
        Variable("omega_0", 1.0e9, 1.0e11, log=True, negate_half=True),
        Variable("omega", 1.0e9, 1.0e11, log=True, negate_half=True),
    )),
    FeynmanProblem("II.11.17", "hard", "n", "n_0*(1+p_d*Ef*cos(theta)/(1.380649e-23*T))", (
        Variable("n_0", 1.0e27, 1.0e29, log=True),
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("theta", 0.0, _TWO_PI),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("II.11.20", "hard", "Pol", "n_rho*p_d**2*Ef/(3*1.380649e-23*T)", (
        Variable("n_rho", 1.0e23, 1.0e25, log=True),
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("II.11.27", "hard", "Pol", "n*alpha/(1-(n*alpha/3))*8.854e-12*Ef", (
        Variable("n", 1.0e23, 1.0e25, log=True),
        Variable("alpha", 1.0e-33, 1.0e-31, log=True),
        Variable("Ef", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("II.11.28", "hard", "theta", "1+n*alpha/(1-(n*alpha/3))", (
        Variable("n", 1.0e23, 1.0e25, log=True),
        Variable("alpha", 1.0e-33, 1.0e-31, log=True),
    )),
    FeynmanProblem("II.13.17", "easy", "B", "1/(4*pi*8.854e-12*2.99792458e8**2)*2*I/r", (
        Variable("I", 0.001, 0.1, log=True, negate_half=True),
        Variable("r", 0.001, 0.1, log=True),
    )),
    FeynmanProblem("II.13.23", "hard", "rho_c", "rho_c_0/sqrt(1-v**2/2.99792458e8**2)", (
        Variable("rho_c_0", 1.0e27, 1.0e29, log=True),
        Variable("v", 1.0e6, 1.0e8, log=True),
    )),
    FeynmanProblem("II.13.34", "hard", "j", "rho_c_0*v/sqrt(1-v**2/2.99792458e8**2)", (
        Variable("rho_c_0", 1.0e27, 1.0e29, log=True),
        Variable("v", 1.0e6, 1.0e8, log=True),
    )),
    FeynmanProblem("II.15.4", "easy", "E_n", "-mom*B*cos(theta)", (
        Variable("mom", 1.0e-25, 1.0e-23, log=True, negate_half=True),
        Variable("B", 0.001, 0.1, log=True, negate_half=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    FeynmanProblem("II.15.5", "easy", "E_n", "-p_d*Ef*cos(theta)", (
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    FeynmanProblem("II.21.32", "medium", "Volt", "q/(4*pi*8.854e-12*r*(1-v/2.99792458e8))", (
        Variable("q", 0.001, 0.1, log=True, negate_half=True),
        Variable("r", 1.0, 100.0, log=True),
        Variable("v", 1.0e6, 1.0e8, log=True),
    )),
    # The sqrt argument is negative for much of this box; SRSD redraws samples whose value is not finite.
    FeynmanProblem("II.24.17", "hard", "k", "sqrt(omega**2/2.99792458e8**2-pi**2/d**2)", (
        Variable("omega", 1.0e9, 1.0e11, log=True, negate_half=True),
        Variable("d", 0.001, 0.1, log=True),
    )),
    FeynmanProblem("II.27.16", "easy", "flux", "8.854e-12*2.99792458e8*Ef**2", (Variable("Ef", 0.1, 10.0, log=True),)),
    FeynmanProblem("II.27.18", "easy", "E_den", "8.854e-12*Ef**2", (Variable("Ef", 0.1, 10.0, log=True),)),
    FeynmanProblem("II.34.2a", "medium", "I", "q*v/(2*pi*r)", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("v", 1.0e5, 1.0e7, log=True, negate_half=True),
        Variable("r", 1.0e-11, 1.0e-9, log=True),
    )),
    FeynmanProblem("II.34.2", "medium", "mom", "q*v*r/2", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("v", 1.0e5, 1.0e7, log=True, negate_half=True),
        Variable("r", 1.0e-11, 1.0e-9, log=True),
    )),
    FeynmanProblem("II.34.11", "easy", "omega", "g_*q*B/(2*m)", (
        Variable("g_", -1.0, 1.0),
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("B", 1.0e-9, 1.0e-7, log=True, negate_half=True),
        Variable("m", 1.0e-30, 1.0e-28, log=True),
    )),
    FeynmanProblem("II.34.29a", "medium", "mom", "q*6.626e-34/(4*pi*m)", (
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("m", 1.0e-30, 1.0e-28, log=True),
    )),
    # SRSD fixes the magnetic moment to the Bohr magneton (AI Feynman keeps mom as a variable).
    FeynmanProblem("II.34.29b", "easy", "E_n", "g_*9.2740100783e-24*B*Jz/(6.626e-34/(2*pi))", (
        Variable("g_", -1.0, 1.0),
        Variable("B", 0.001, 0.1, log=True, negate_half=True),
        Variable("Jz", 1.0e-26, 1.0e-22, log=True, negate_half=True),
    )),
    FeynmanProblem("II.35.18", "hard", "n", "n_0/(exp(mom*B/(1.380649e-23*T))+exp(-mom*B/(1.380649e-23*T)))", (
        Variable("n_0", 1.0e23, 1.0e25, log=True),
        Variable("mom", 1.0e-25, 1.0e-23, log=True),
        Variable("B", 0.001, 0.1, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("II.35.21", "hard", "M", "n_rho*mom*tanh(mom*B/(1.380649e-23*T))", (
        Variable("n_rho", 1.0e23, 1.0e25, log=True),
        Variable("mom", 1.0e-25, 1.0e-23, log=True),
        Variable("B", 0.001, 0.1, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("II.36.38", "hard", "f", "mom*H/(1.380649e-23*T)+(mom*alpha)/(8.854e-12*2.99792458e8**2*1.380649e-23*T)*M", (
        Variable("mom", 1.0e-25, 1.0e-23, log=True, negate_half=True),
        Variable("H", 0.001, 0.1, log=True, negate_half=True),
        Variable("T", 10.0, 1000.0, log=True),
        Variable("alpha", 0.0, 1.0),
        Variable("M", 1.0e23, 1.0e25, log=True),
    )),
    FeynmanProblem("II.37.1", "medium", "E_n", "mom*(1+chi)*B", (
        Variable("mom", 1.0e-25, 1.0e-23, log=True, negate_half=True),
        Variable("chi", 1.0e4, 1.0e6, log=True, negate_half=True),
        Variable("B", 0.001, 0.1, log=True, negate_half=True),
    )),
    FeynmanProblem("II.38.3", "easy", "F", "Y*A*x/d", (
        Variable("Y", 0.1, 10.0, log=True),
        Variable("A", 1.0e-4, 0.01, log=True),
        Variable("x", 0.001, 0.1, log=True, negate_half=True),
        Variable("d", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("II.38.14", "easy", "mu_S", "Y/(2*(1+sigma))", (
        Variable("Y", 0.1, 10.0, log=True),
        Variable("sigma", 0.01, 1.0, log=True),
    )),
    FeynmanProblem("III.4.32", "medium", "n", "1/(exp((6.626e-34/(2*pi))*omega/(1.380649e-23*T))-1)", (
        Variable("omega", 1.0e8, 1.0e10, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("III.4.33", "hard", "E_n", "(6.626e-34/(2*pi))*omega/(exp((6.626e-34/(2*pi))*omega/(1.380649e-23*T))-1)", (
        Variable("omega", 1.0e8, 1.0e10, log=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("III.7.38", "easy", "omega", "2*mom*B/(6.626e-34/(2*pi))", (
        Variable("mom", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("B", 0.001, 0.1, log=True, negate_half=True),
    )),
    FeynmanProblem("III.8.54", "medium", "prob", "sin(E_n*t/(6.626e-34/(2*pi)))**2", (
        Variable("E_n", 1.0e-18, 1.0e-16, log=True, negate_half=True),
        Variable("t", 1.0e-18, 1.0e-16, log=True),
    )),
    # First factor squared as in SRSD's data generator (eq_func); SRSD's sympy ground truth and AI Feynman leave
    # it unsquared.
    FeynmanProblem("III.9.52", "hard", "prob", "(p_d*Ef*t/(6.626e-34/(2*pi)))**2*sin((omega-omega_0)*t/2)**2/((omega-omega_0)*t/2)**2", (
        Variable("p_d", 1.0e-22, 1.0e-20, log=True, negate_half=True),
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("t", 1.0e-18, 1.0e-16, log=True),
        Variable("omega", 1.0e8, 1.0e10, log=True),
        Variable("omega_0", 1.0e8, 1.0e10, log=True),
    )),
    FeynmanProblem("III.10.19", "hard", "E_n", "mom*sqrt(Bx**2+By**2+Bz**2)", (
        Variable("mom", 1.0e-25, 1.0e-23, log=True, negate_half=True),
        Variable("Bx", 0.001, 0.1, log=True, negate_half=True),
        Variable("By", 0.001, 0.1, log=True, negate_half=True),
        Variable("Bz", 0.001, 0.1, log=True, negate_half=True),
    )),
    # n: SRSD draws integers, randint(1, 100).
    FeynmanProblem("III.12.43", "easy", "L", "n*(6.626e-34/(2*pi))", (Variable("n", 1.0, 100.0),)),
    FeynmanProblem("III.13.18", "medium", "v", "2*E_n*d**2*k/(6.626e-34/(2*pi))", (
        Variable("E_n", 1.0e-18, 1.0e-16, log=True, negate_half=True),
        Variable("d", 1.0e-10, 1.0e-8, log=True),
        Variable("k", 0.1, 10.0, log=True),
    )),
    FeynmanProblem("III.14.14", "medium", "I", "I_0*(exp(q*Volt/(1.380649e-23*T))-1)", (
        Variable("I_0", 0.001, 0.1, log=True, negate_half=True),
        Variable("q", 1.0e-22, 1.0e-20, log=True),
        Variable("Volt", 0.1, 10.0, log=True, negate_half=True),
        Variable("T", 10.0, 1000.0, log=True),
    )),
    FeynmanProblem("III.15.12", "medium", "E_n", "2*U*(1-cos(k*d))", (
        Variable("U", 1.0e-18, 1.0e-16, log=True),
        Variable("k", 0.1, 10.0, log=True),
        Variable("d", 1.0e-10, 1.0e-8, log=True),
    )),
    FeynmanProblem("III.15.14", "medium", "m", "(6.626e-34/(2*pi))**2/(2*E_n*d**2)", (
        Variable("E_n", 1.0e-18, 1.0e-16, log=True),
        Variable("d", 1.0e-10, 1.0e-8, log=True),
    )),
    # alpha, n: SRSD draws integers, randint(1, 100) (alpha with a random sign).
    FeynmanProblem("III.15.27", "easy", "k", "2*pi*alpha/(n*d)", (
        Variable("alpha", 1.0, 100.0, negate_half=True),
        Variable("n", 1.0, 100.0),
        Variable("d", 1.0e-10, 1.0e-8, log=True),
    )),
    FeynmanProblem("III.17.37", "medium", "f", "beta*(1+alpha*cos(theta))", (
        Variable("beta", 1.0e-18, 1.0e-16, log=True),
        Variable("alpha", 1.0e-18, 1.0e-16, log=True, negate_half=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    # n: SRSD draws integers, randint(1, 100).
    FeynmanProblem("III.19.51", "medium", "E_n", "-m*q**4/(2*(4*pi*8.854e-12)**2*(6.626e-34/(2*pi))**2)*(1/n**2)", (
        Variable("m", 1.0e-30, 1.0e-28, log=True),
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("n", 1.0, 100.0),
    )),
    # rho_c_0 and q are negative only in SRSD: log-uniform magnitude, always negated (see the header).
    FeynmanProblem("III.21.20", "hard", "j", "-rho_c_0*q*A_vec/m", (
        Variable("rho_c_0", -1.0e-27, -1.0e-29, log=True),
        Variable("q", -1.0e-9, -1.0e-11, log=True),
        Variable("A_vec", 0.001, 0.1, log=True, negate_half=True),
        Variable("m", 1.0e-30, 1.0e-28, log=True),
    )),
    # Rutherford scattering. Z_1, Z_2: SRSD draws integers, randint(1, 10).
    FeynmanProblem("B1", "hard", "A", "(Z_1*Z_2*7.2973525693e-3*1.054571817e-34*2.99792458e8/(4*E_n*sin(theta/2)**2))**2", (
        Variable("Z_1", 1.0, 10.0),
        Variable("Z_2", 1.0, 10.0),
        Variable("E_n", 1.0e-18, 1.0e-16, log=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    # Goldstein 3.55.
    FeynmanProblem("B2", "hard", "k", "m*k_G/L**2*(1+sqrt(1+2*E_n*L**2/(m*k_G**2))*cos(theta1-theta2))", (
        Variable("m", 1.0e23, 1.0e25, log=True),
        Variable("k_G", 1.0e9, 1.0e11, log=True),
        Variable("L", 1.0e8, 1.0e10, log=True),
        Variable("E_n", 1.0e25, 1.0e27, log=True),
        Variable("theta1", 0.0, _TWO_PI),
        Variable("theta2", 0.0, _TWO_PI),
    )),
    # Goldstein 3.64.
    FeynmanProblem("B3", "hard", "r", "d*(1-alpha**2)/(1+alpha*cos(theta1-theta2))", (
        Variable("d", 1.0e8, 1.0e10, log=True),
        Variable("alpha", 0.0, 1.0),
        Variable("theta1", 0.0, _TWO_PI),
        Variable("theta2", 0.0, _TWO_PI),
    )),
    # Goldstein 3.16. The sqrt argument is negative whenever U > E_n; SRSD redraws non-finite samples.
    FeynmanProblem("B4", "hard", "v", "sqrt(2/m*(E_n-U-L**2/(2*m*r**2)))", (
        Variable("m", 1.0e23, 1.0e25, log=True),
        Variable("E_n", 1.0e25, 1.0e27, log=True),
        Variable("U", 1.0e25, 1.0e27, log=True),
        Variable("L", 1.0e8, 1.0e10, log=True, negate_half=True),
        Variable("r", 1.0e8, 1.0e10, log=True),
    )),
    # Goldstein 3.74.
    FeynmanProblem("B5", "hard", "t", "2*pi*d**(3/2)/sqrt(6.6743e-11*(m1+m2))", (
        Variable("d", 1.0e8, 1.0e10, log=True),
        Variable("m1", 1.0e23, 1.0e25, log=True),
        Variable("m2", 1.0e23, 1.0e25, log=True),
    )),
    # Goldstein 3.99. SRSD's code uses epsilon to the first power (AI Feynman: epsilon**2); sqrt argument often
    # negative, SRSD redraws. Z_1, Z_2: integers, randint(1, 10).
    FeynmanProblem("B6", "hard", "alpha", "sqrt(1+2*epsilon*E_n*L**2/(m*(Z_1*Z_2*q**2)**2))", (
        Variable("epsilon", 1.0e-18, 1.0e-16, log=True, negate_half=True),
        Variable("E_n", 1.0e-18, 1.0e-16, log=True),
        Variable("L", 1.0e-10, 1.0e-8, log=True),
        Variable("m", 1.0e-30, 1.0e-28, log=True),
        Variable("Z_1", 1.0, 10.0),
        Variable("Z_2", 1.0, 10.0),
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
    )),
    # Friedmann equation. alpha: SRSD draws integers in {-1, 0, 1} (randint(-1, 2) with a random sign); recorded
    # here as U(-1, 1). sqrt argument can be negative; SRSD redraws.
    FeynmanProblem("B7", "hard", "H_G", "sqrt(8*pi*6.6743e-11*rho/3-alpha*2.99792458e8**2/d**2)", (
        Variable("rho", 1.0e-28, 1.0e-26, log=True),
        Variable("alpha", -1.0, 1.0),
        Variable("d", 1.0e25, 1.0e27, log=True),
    )),
    # Compton scattering. SRSD: U(-pi, pi) with a random sign, which is the same as U(-pi, pi).
    FeynmanProblem("B8", "medium", "K", "E_n/(1+E_n/(9.10938356e-31*2.99792458e8**2)*(1-cos(theta)))", (
        Variable("E_n", 1.0e-24, 1.0e-22, log=True),
        Variable("theta", -_PI, _PI),
    )),
    # Gravitational-wave radiated power.
    FeynmanProblem("B9", "hard", "Pwr", "-32/5*6.6743e-11**4/2.99792458e8**5*(m1*m2)**2*(m1+m2)/r**5", (
        Variable("m1", 1.0e23, 1.0e25, log=True),
        Variable("m2", 1.0e23, 1.0e25, log=True),
        Variable("r", 1.0e8, 1.0e10, log=True),
    )),
    # Relativistic aberration. SRSD's target is cos(theta1) (AI Feynman: theta1 = acos(...)).
    FeynmanProblem("B10", "hard", "cos_theta1", "(cos(theta2)-v/2.99792458e8)/(1-v/2.99792458e8*cos(theta2))", (
        Variable("theta2", 0.0, _PI),
        Variable("v", 1.0e6, 1.0e8, log=True, negate_half=True),
    )),
    # N-slit diffraction. n: SRSD draws integers, randint(1, 100).
    FeynmanProblem("B11", "hard", "I", "I_0*(sin(alpha/2)*sin(n*delta/2)/(alpha/2*sin(delta/2)))**2", (
        Variable("I_0", 0.001, 0.1, log=True),
        Variable("alpha", 1.0e-11, 1.0e-9, log=True),
        Variable("n", 1.0, 100.0),
        Variable("delta", 1.0e-11, 1.0e-9, log=True),
    )),
    # Jackson 2.11.
    FeynmanProblem("B12", "hard", "F", "q/(4*pi*epsilon*y**2)*(4*pi*epsilon*Volt*d-q*d*y**3/(y**2-d**2)**2)", (
        Variable("q", 0.001, 0.1, log=True, negate_half=True),
        Variable("epsilon", 1.0e-12, 1.0e-10, log=True),
        Variable("y", 0.01, 1.0, log=True),
        Variable("Volt", 0.1, 10.0, log=True, negate_half=True),
        Variable("d", 0.01, 1.0, log=True),
    )),
    # Jackson 3.45. Formula as SRSD's sympy ground truth; SRSD's data generator substitutes 8.854e-12 for epsilon.
    FeynmanProblem("B13", "hard", "Volt", "1/(4*pi*epsilon)*q/sqrt(r**2+d**2-2*r*d*cos(alpha))", (
        Variable("epsilon", 1.0e-12, 1.0e-10, log=True),
        Variable("q", 0.001, 0.1, log=True, negate_half=True),
        Variable("r", 0.01, 1.0, log=True),
        Variable("d", 0.01, 1.0, log=True),
        Variable("alpha", 0.0, _PI),
    )),
    # Jackson 4.60'.
    FeynmanProblem("B14", "hard", "Volt", "Ef*cos(theta)*(-r+d**3/r**2*(alpha-1)/(alpha+2))", (
        Variable("Ef", 10.0, 1000.0, log=True, negate_half=True),
        Variable("theta", 0.0, _PI),
        Variable("r", 0.01, 1.0, log=True),
        Variable("d", 0.01, 1.0, log=True),
        Variable("alpha", 0.1, 10.0, log=True),
    )),
    # Jackson 11.38.
    FeynmanProblem("B15", "hard", "omega_0", "sqrt(1-v**2/2.99792458e8**2)*omega/(1+v/2.99792458e8*cos(theta))", (
        Variable("v", 1.0e5, 1.0e7, log=True),
        Variable("omega", 1.0e9, 1.0e11, log=True),
        Variable("theta", 0.0, _TWO_PI),
    )),
    # Goldstein 8.56.
    FeynmanProblem("B16", "hard", "E_n", "sqrt((p-q*A_vec)**2*2.99792458e8**2+m**2*2.99792458e8**4)+q*Volt", (
        Variable("p", 1.0e-9, 1.0e-7, log=True, negate_half=True),
        Variable("q", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("A_vec", 10.0, 1000.0, log=True, negate_half=True),
        Variable("m", 1.0e-30, 1.0e-28, log=True),
        Variable("Volt", 0.1, 10.0, log=True, negate_half=True),
    )),
    # Goldstein 12.80'.
    FeynmanProblem("B17", "hard", "E_n", "1/(2*m)*(p**2+m**2*omega**2*x**2*(1+alpha*x/y))", (
        Variable("m", 1.0e-30, 1.0e-28, log=True),
        Variable("p", 1.0e-9, 1.0e-7, log=True, negate_half=True),
        Variable("omega", 1.0e9, 1.0e11, log=True, negate_half=True),
        Variable("x", 1.0e-11, 1.0e-9, log=True, negate_half=True),
        Variable("alpha", 0.1, 10.0, log=True, negate_half=True),
        Variable("y", 1.0e-11, 1.0e-9, log=True),
    )),
    # Weinberg 15.2.1.
    FeynmanProblem("B18", "medium", "rho_0", "3/(8*pi*6.6743e-11)*(2.99792458e8**2*k_f/r**2+H_G**2)", (
        Variable("k_f", 10.0, 1000.0, log=True, negate_half=True),
        Variable("r", 1.0e8, 1.0e10, log=True),
        Variable("H_G", 1.0, 100.0, log=True, negate_half=True),
    )),
    # Weinberg 15.2.2. alpha: SRSD U(-10, 10) with a random sign, which is the same as U(-10, 10).
    FeynmanProblem("B19", "hard", "pr", "-1/(8*pi*6.6743e-11)*(2.99792458e8**4*k_f/r**2+H_G**2*2.99792458e8**2*(1-2*alpha))", (
        Variable("k_f", 10.0, 1000.0, log=True, negate_half=True),
        Variable("r", 1.0e8, 1.0e10, log=True),
        Variable("H_G", 1.0, 100.0, log=True),
        Variable("alpha", -10.0, 10.0),
    )),
    # Klein-Nishina (Schwarz 13.132).
    FeynmanProblem("B20", "hard", "A", "1/(4*pi)*7.2973525693e-3**2*6.626e-34**2/(9.10938356e-31**2*2.99792458e8**2)*(omega_0/omega)**2*(omega_0/omega+omega/omega_0-sin(beta)**2)", (
        Variable("omega_0", 1.0e9, 1.0e11, log=True),
        Variable("omega", 1.0e9, 1.0e11, log=True),
        Variable("beta", 0.0, _TWO_PI),
    )),
)


def sample(problem: FeynmanProblem, n: int, rng) -> dict:
    """n rows of the problem's variables, drawn as SRSD draws them (see the header)."""
    import numpy as np
    cols = {}
    for v in problem.variables:
        if v.log:
            if v.high < 0:          # negative-only magnitudes
                mag = 10 ** rng.uniform(np.log10(-v.high), np.log10(-v.low), n)
                cols[v.name] = -mag
                continue
            vals = 10 ** rng.uniform(np.log10(v.low), np.log10(v.high), n)
        else:
            vals = rng.uniform(v.low, v.high, n)
        if v.negate_half:
            vals = vals * rng.choice([-1.0, 1.0], n)
        cols[v.name] = vals
    return cols


def by_name(name: str) -> FeynmanProblem:
    for p in FEYNMAN:
        if p.name == name:
            return p
    raise KeyError(name)
