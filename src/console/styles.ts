/**
 * The console's one stylesheet, served from /console/assets/console.css (no inline styles, so the
 * content security policy can forbid them). Colours meet WCAG AA contrast on white: text #1a1a1a,
 * links and buttons #0b4f8a (8.6:1), focus ring #b35c00 (AA for non-text, 3:1+).
 */
export const CONSOLE_CSS = `
*,*::before,*::after{box-sizing:border-box}
html{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:100%;color:#1a1a1a;background:#fff;line-height:1.45}
body{margin:0}
a{color:#0b4f8a}
a:hover{text-decoration-thickness:2px}
:focus-visible{outline:3px solid #b35c00;outline-offset:2px}
.skip-link{position:absolute;left:-9999px;top:0;background:#0b4f8a;color:#fff;padding:.6rem 1rem;z-index:10}
.skip-link:focus{left:1rem;top:1rem}
header.site{background:#0b3558;color:#fff;padding:.6rem 1.25rem;display:flex;flex-wrap:wrap;gap:.75rem 1.5rem;align-items:center;justify-content:space-between}
header.site a{color:#fff}
.brand{font-weight:700;font-size:1.1rem;text-decoration:none}
.who{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;font-size:.95rem}
.who form{display:inline}
nav.main{background:#e8eef4;border-bottom:1px solid #c3cfdb}
nav.main ul{list-style:none;margin:0;padding:0 1.25rem;display:flex;flex-wrap:wrap;gap:0}
nav.main a{display:block;padding:.7rem .9rem;text-decoration:none;color:#0b3558;font-weight:600}
nav.main a[aria-current="page"]{border-bottom:4px solid #0b4f8a;padding-bottom:calc(.7rem - 4px)}
main{padding:1.25rem;max-width:90rem;margin:0 auto}
footer.site{padding:1rem 1.25rem;color:#4a4a4a;font-size:.9rem;border-top:1px solid #ddd}
h1{font-size:1.6rem;margin:.2rem 0 1rem}
h2{font-size:1.25rem;margin:1.5rem 0 .6rem}
button,.button{font:inherit;padding:.45rem 1rem;border-radius:4px;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary,.button.secondary{background:#fff;color:#0b4f8a}
button.danger{background:#a11d1d;border-color:#a11d1d}
header.site button{background:transparent;border-color:#fff;color:#fff;padding:.25rem .7rem}
label{display:block;font-weight:600;margin-bottom:.2rem}
input[type=text],input[type=date],input[type=number],input[type=search],select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #6b6b6b;border-radius:4px;width:100%;background:#fff;color:#1a1a1a}
.check label{display:inline;font-weight:400}
fieldset{border:1px solid #c3cfdb;border-radius:6px;padding:.8rem 1rem;margin:0 0 1rem}
legend{font-weight:700;padding:0 .3rem}
.filters{display:grid;grid-template-columns:repeat(auto-fill,minmax(13rem,1fr));gap:.8rem 1rem;align-items:end}
.form-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:.8rem 1rem}
.form-actions{display:flex;flex-wrap:wrap;gap:.6rem;margin-top:.8rem;align-items:center}
.table-wrap{overflow-x:auto;border:1px solid #d5dde5;border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.95rem}
th,td{text-align:left;vertical-align:top;padding:.5rem .6rem;border-bottom:1px solid #e1e6eb}
thead th{background:#f1f4f7}
caption{text-align:left;font-weight:700;padding:.5rem .6rem}
.status{display:inline-block;padding:.05rem .5rem;border-radius:1rem;font-size:.85rem;border:1px solid #6b6b6b;white-space:nowrap}
.status-active{background:#e3f1e6;border-color:#2d6a3a;color:#1d4a27}
.status-awaiting-approval,.status-draft{background:#fff4dc;border-color:#8a5a00;color:#5c3c00}
.status-suspended,.status-revoked,.status-expired{background:#fbe5e5;border-color:#a11d1d;color:#7a1414}
.notice{padding:.7rem 1rem;border-radius:6px;border:1px solid #2d6a3a;background:#e3f1e6;margin:0 0 1rem}
.error{padding:.7rem 1rem;border-radius:6px;border:1px solid #a11d1d;background:#fbe5e5;margin:0 0 1rem}
dl.facts{display:grid;grid-template-columns:minmax(10rem,16rem) 1fr;gap:.3rem 1rem;margin:0}
dl.facts dt{font-weight:600}
dl.facts dd{margin:0}
del{background:#fbe5e5;color:#7a1414}
ins{background:#e3f1e6;color:#1d4a27;text-decoration:none}
ul.tree,ul.tree ul{list-style:none;padding-left:1.2rem;margin:0}
ul.tree{padding-left:0}
ul.tree li{margin:.15rem 0}
.muted{color:#4a4a4a}
.actions-row{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end}
.actions-row form{display:flex;gap:.5rem;align-items:flex-end;flex-wrap:wrap}
@media (max-width: 900px){main{padding:1rem}dl.facts{grid-template-columns:1fr}nav.main ul{padding:0 .5rem}}
`;
