// The web admin dashboard: one page and its script, style sheet and icon, compiled into the
// binary.
// The files need no key (the worker lets /admin/dashboard through without one); every admin
// API call the page makes carries the key the user typed in.
#pragma once

namespace amq {

class Worker;
struct HttpRequest;

void handle_dashboard_page(Worker& worker, HttpRequest& request);
// /admin/dashboard/<file>: the page's file of that name.
void handle_dashboard_file(Worker& worker, HttpRequest& request);

}  // namespace amq
