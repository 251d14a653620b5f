import { mount } from 'svelte';
import App from './App.svelte';
import './app.css';

// Count CSP violations so the end-to-end tests can assert there are none.
const w = window as unknown as { __cspViolations: string[] };
w.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  w.__cspViolations.push(`${e.violatedDirective}: ${e.blockedURI}`);
});

const target = document.getElementById('app');
if (!target) throw new Error('missing #app');

export default mount(App, { target });
