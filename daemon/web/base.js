// The two things every part of the page uses: element by id, and what the page computes
// (dashboard-lib.js, a classic script loaded before these modules).

export const $ = (id) => document.getElementById(id);
export const L = window.amqDashboard;  // dashboard-lib.js: what the page computes
