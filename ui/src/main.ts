import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';
import { initLocale } from './lib/i18n.svelte';

// Count CSP violations so the end-to-end tests can assert there are none.
const w = window as unknown as { __cspViolations: string[] };
w.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  w.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`);
});

// Before the first render, so the app starts in its language (and sets <html lang>).
initLocale();

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

export default mount(App, { target });
